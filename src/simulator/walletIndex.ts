import { KeyIndex, walletAddress } from "./market.js"
import { matchParticipants } from "./ledger.js"
import type { World } from "./world.js"

/**
 * Per wallet, every order leg it traded: entries `pos * 8 + slot` (slot 0..3 a maker order of the match
 * at position `pos`, slot TAKER_SLOT its taker order), ascending, hence in block order. Built on first
 * use (the Data-API and P&L need it; Gamma, Goldsky and RPC do not) in one pass over the matches.
 */
export const TAKER_SLOT = 7

export interface WalletIndex {
  readonly start: Uint32Array
  readonly entries: Uint32Array
  readonly buildMs: number
}

const cache = new WeakMap<World, WalletIndex>()
const addressCache = new WeakMap<World, KeyIndex>()

export const walletIndex = (world: World): WalletIndex => {
  const hit = cache.get(world)
  if (hit !== undefined) return hit
  const t0 = performance.now()
  const w = world.walletCount
  const m = world.matchCount
  // Two passes over the matches in position order (count, then fill): entries come out ascending and
  // no temporary array larger than the index itself is needed.
  const ranks = new Uint32Array(world.marketCount)
  const wallets = new Uint32Array(8)
  const start = new Uint32Array(w + 1)
  for (let p = 0; p < m; p++) {
    const i = world.matchMarket[p]!
    const k = matchParticipants(world, i, ranks[i]!++, wallets)
    for (let s = 0; s <= k; s++) start[wallets[s]! + 1]!++
  }
  for (let k = 0; k < w; k++) start[k + 1]! += start[k]!
  const fill = start.slice(0, w)
  const entries = new Uint32Array(start[w]!)
  ranks.fill(0)
  for (let p = 0; p < m; p++) {
    const i = world.matchMarket[p]!
    const k = matchParticipants(world, i, ranks[i]!++, wallets)
    for (let s = 0; s < k; s++) entries[fill[wallets[s]!]!++] = p * 8 + s
    entries[fill[wallets[k]!]!++] = p * 8 + TAKER_SLOT
  }
  const index = { start, entries, buildMs: performance.now() - t0 }
  cache.set(world, index)
  return index
}

/** The wallet index of a proxy address (lowercase), or undefined. */
export const walletOfAddress = (world: World, address: string): number | undefined => {
  let idx = addressCache.get(world)
  if (idx === undefined) {
    idx = new KeyIndex(world.walletCount, (w) => walletAddress(world, w))
    addressCache.set(world, idx)
  }
  return idx.find(address.toLowerCase())
}
