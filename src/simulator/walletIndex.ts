import { KeyIndex, walletAddress } from "./market.js"
import { matchParticipants } from "./ledger.js"
import type { World } from "./world.js"

/**
 * Per wallet, every order leg it traded: entries `pos * 8 + slot` (slot 0..3 a maker order of the match
 * at position `pos`, slot TAKER_SLOT its taker order), ascending, hence in block order. Stored as
 * varint-coded gaps (about 2.3 bytes an entry instead of 4), since 10M legs is the largest structure
 * of a big world. Built on first use (the Data-API and P&L need it; Gamma, Goldsky and RPC do not).
 */
export const TAKER_SLOT = 7

export interface WalletIndex {
  /** Number of legs of a wallet. */
  readonly count: (wallet: number) => number
  /** A wallet's entries, ascending. */
  readonly entries: (wallet: number) => Uint32Array
  readonly totalLegs: number
  readonly bytes: number
  readonly buildMs: number
}

const cache = new WeakMap<World, WalletIndex>()
const addressCache = new WeakMap<World, KeyIndex>()

const varintLength = (n: number): number => (n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5)

/** Builds the index in slices (a generator yields between slices) so it can run without blocking the server. */
function* buildWalletIndex(world: World): Generator<void, WalletIndex> {
  const t0 = performance.now()
  const w = world.walletCount
  const m = world.matchCount
  // Two passes over the matches in position order: sizes, then bytes. Entries come out ascending.
  const ranks = new Uint32Array(world.marketCount)
  const wallets = new Uint32Array(8)
  const counts = new Uint32Array(w)
  const last = new Float64Array(w).fill(-1)
  const start = new Float64Array(w + 1)
  function* visit(each: (wallet: number, entry: number) => void): Generator<void> {
    ranks.fill(0)
    last.fill(-1)
    for (let p = 0; p < m; p++) {
      const i = world.matchMarket[p]!
      const k = matchParticipants(world, i, ranks[i]!++, wallets)
      for (let s = 0; s < k; s++) each(wallets[s]!, p * 8 + s)
      each(wallets[k]!, p * 8 + TAKER_SLOT)
      if ((p & 0x3fff) === 0x3fff) yield
    }
  }
  yield* visit((wallet, entry) => {
    start[wallet + 1]! += varintLength(entry - last[wallet]!)
    last[wallet] = entry
    counts[wallet]!++
  })
  for (let k = 0; k < w; k++) start[k + 1]! += start[k]!
  const data = new Uint8Array(start[w]!)
  const at = start.slice(0, w)
  yield* visit((wallet, entry) => {
    let gap = entry - last[wallet]!
    last[wallet] = entry
    let o = at[wallet]!
    while (gap >= 0x80) {
      data[o++] = (gap & 0x7f) | 0x80
      gap = Math.floor(gap / 128)
    }
    data[o++] = gap
    at[wallet] = o
  })
  let totalLegs = 0
  for (let k = 0; k < w; k++) totalLegs += counts[k]!
  const index: WalletIndex = {
    count: (wallet) => counts[wallet]!,
    entries: (wallet) => {
      const out = new Uint32Array(counts[wallet]!)
      let o = start[wallet]!
      let prev = -1
      for (let n = 0; n < out.length; n++) {
        let gap = 0
        let mul = 1
        for (;;) {
          const b = data[o++]!
          gap += (b & 0x7f) * mul
          if (b < 0x80) break
          mul *= 128
        }
        prev += gap
        out[n] = prev
      }
      return out
    },
    totalLegs,
    bytes: data.length,
    buildMs: performance.now() - t0
  }
  return index
}

/** The wallet index, built now if needed (synchronously: for ground truth in tests and scripts). */
export const walletIndex = (world: World): WalletIndex => {
  const hit = cache.get(world)
  if (hit !== undefined) return hit
  const steps = buildWalletIndex(world)
  let r = steps.next()
  while (r.done !== true) r = steps.next()
  cache.set(world, r.value)
  return r.value
}

const pending = new WeakMap<World, Promise<WalletIndex>>()

/**
 * The wallet index, built in slices between which the event loop runs (the server's Data-API
 * awaits this, so a 10M-fill world's first Data-API request does not stall the other endpoints).
 */
export const walletIndexAsync = (world: World): Promise<WalletIndex> => {
  const hit = cache.get(world)
  if (hit !== undefined) return Promise.resolve(hit)
  let p = pending.get(world)
  if (p === undefined) {
    const steps = buildWalletIndex(world)
    p = new Promise<WalletIndex>((resolve, reject) => {
      const step = () => {
        try {
          const r = steps.next()
          if (r.done === true) {
            if (!cache.has(world)) cache.set(world, r.value)
            resolve(cache.get(world)!)
          } else setImmediate(step)
        } catch (e) {
          reject(e)
        }
      }
      setImmediate(step)
    })
    pending.set(world, p)
  }
  return p
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
