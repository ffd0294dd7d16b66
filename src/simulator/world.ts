import { hash32, unit } from "../domain/prng.js"
import { blockAtTimestamp } from "./blockClock.js"
import type { WorldConfig } from "./config.js"

/** Hash namespaces: every derived value hashes (seed, namespace, coordinates...). */
export const NS = {
  market: 1,
  marketFlags: 2,
  marketWeight: 3,
  matchBlock: 4,
  match: 5,
  wallet: 6,
  resting: 7,
  tx: 8,
  order: 9,
  restingOrder: 10,
  token: 11,
  question: 12,
  text: 13,
  ghost: 14,
  blockHash: 15,
  builder: 16
} as const

/** Market status bits (per market, one byte). */
export const ST = {
  negRisk: 1,
  closed: 2,
  /** bits 2-3: 0 unresolved, 1 outcome 0 wins, 2 outcome 1 wins, 3 void (50/50) */
  resShift: 2,
  noVolumeKey: 16,
  noStartDateKey: 32,
  noLiquidityKey: 64
} as const

export type Resolution = "none" | "win0" | "win1" | "void"
const RESOLUTIONS: ReadonlyArray<Resolution> = ["none", "win0", "win1", "void"]

/** Average OrderFilled events per match: one per maker order (1..4, mean 1.73) plus the taker leg. */
export const EVENTS_PER_MATCH = 2.73
export const NEVER_TRADED_SHARE = 0.07

/**
 * The compact index of a world: a few typed arrays, built in one pass from the seed. Everything else
 * (market texts and ids, each match's orders, amounts, hashes and logs) is derived on demand from
 * (seed, market index, match index), see market.ts and ledger.ts.
 *
 * Matches are numbered globally in block order ("position"); within a block, by market then by the
 * match's rank inside its market. Per market, `marketMatches[matchStart[i]..matchStart[i+1])` lists the
 * positions of its matches in block order, so match j of market i is at `marketMatches[matchStart[i]+j]`.
 */
export class World {
  readonly config: WorldConfig
  readonly seed: number
  readonly marketCount: number
  readonly walletCount: number
  readonly firstBlock: number
  readonly headBlock: number
  readonly createdTs: Uint32Array
  readonly endTs: Uint32Array
  /** 0 when the market is not closed. */
  readonly closedTs: Uint32Array
  readonly status: Uint8Array
  readonly matchStart: Uint32Array
  readonly marketMatches: Uint32Array
  readonly matchBlock: Uint32Array
  readonly matchMarket: Uint32Array
  /** Resolved markets by resolution block (ConditionResolution logs). */
  readonly resolutionBlock: Uint32Array
  readonly resolutionMarket: Uint32Array
  readonly buildMs: number

  constructor(config: WorldConfig) {
    const t0 = performance.now()
    this.config = config
    this.seed = config.seed
    const n = config.markets
    this.marketCount = n
    this.walletCount = Math.max(2 + 4, config.wallets)
    this.firstBlock = blockAtTimestamp(config.fromTs)
    this.headBlock = blockAtTimestamp(config.toTs)
    const seed = config.seed
    const span = config.toTs - config.fromTs

    this.createdTs = new Uint32Array(n)
    this.endTs = new Uint32Array(n)
    this.closedTs = new Uint32Array(n)
    this.status = new Uint8Array(n)
    const weights = new Float64Array(n)
    let weightSum = 0
    for (let i = 0; i < n; i++) {
      // Creation times increase with the index, so Gamma ids (increasing with the index) follow creation.
      const created = config.fromTs + Math.floor(((i + unit(seed, NS.market, i, 0)) / n) * span * 0.9)
      const duration = Math.floor(3600 * Math.exp(unit(seed, NS.market, i, 1) * Math.log(24 * 60))) // 1 h .. 60 days
      const end = Math.min(created + duration, config.toTs)
      let st = unit(seed, NS.marketFlags, i, 0) < 0.3 ? ST.negRisk : 0
      let closed = 0
      if (end < config.toTs - 3600 && unit(seed, NS.marketFlags, i, 1) < 0.95) {
        st |= ST.closed
        closed = Math.min(end + 600 + Math.floor(unit(seed, NS.marketFlags, i, 2) * 12 * 3600), config.toTs)
        const r = unit(seed, NS.marketFlags, i, 3)
        const res = r < 0.06 ? 3 : r < 0.12 ? 0 : r < 0.56 ? 1 : 2
        st |= res << ST.resShift
      }
      if (unit(seed, NS.marketFlags, i, 4) < 0.03) st |= ST.noVolumeKey
      if (unit(seed, NS.marketFlags, i, 5) < 0.02) st |= ST.noStartDateKey
      if (unit(seed, NS.marketFlags, i, 6) < 0.02) st |= ST.noLiquidityKey
      this.createdTs[i] = created
      this.endTs[i] = end
      this.closedTs[i] = closed
      this.status[i] = st
      const w = unit(seed, NS.marketWeight, i, 0) < NEVER_TRADED_SHARE ? 0 : Math.pow(1 - unit(seed, NS.marketWeight, i, 1), -0.6)
      weights[i] = w
      weightSum += w
    }

    // Matches per market, proportional to the weights, at least one for a traded market.
    const targetMatches = Math.max(0, Math.round(config.fills / EVENTS_PER_MATCH))
    this.matchStart = new Uint32Array(n + 1)
    let total = 0
    for (let i = 0; i < n; i++) {
      const w = weights[i]!
      const exact = weightSum > 0 ? (w / weightSum) * targetMatches : 0
      const count = w === 0 ? 0 : Math.max(1, Math.floor(exact + unit(seed, NS.marketWeight, i, 2)))
      this.matchStart[i] = total
      total += count
    }
    this.matchStart[n] = total
    const m = total

    // Block offsets (from firstBlock) of every match in market order, sorted within each market.
    const offsets = new Uint32Array(m)
    for (let i = 0; i < n; i++) {
      const s = this.matchStart[i]!
      const e = this.matchStart[i + 1]!
      if (e === s) continue
      const b0 = blockAtTimestamp(this.createdTs[i]!) - this.firstBlock
      const b1 = blockAtTimestamp(this.endTs[i]!) - this.firstBlock
      const width = Math.max(1, b1 - b0 + 1)
      for (let q = s; q < e; q++) offsets[q] = b0 + Math.floor(unit(seed, NS.matchBlock, i, q - s) * width)
      offsets.subarray(s, e).sort()
    }

    // Stable LSD radix sort of market-order indexes by block offset (two 16-bit passes).
    let order = new Uint32Array(m)
    let tmp = new Uint32Array(m)
    for (let q = 0; q < m; q++) order[q] = q
    const count = new Uint32Array(65537)
    for (const shift of [0, 16]) {
      count.fill(0)
      for (let q = 0; q < m; q++) count[((offsets[order[q]!]! >>> shift) & 0xffff) + 1]!++
      for (let b = 0; b < 65536; b++) count[b + 1]! += count[b]!
      for (let q = 0; q < m; q++) {
        const x = order[q]!
        tmp[count[(offsets[x]! >>> shift) & 0xffff]!++] = x
      }
      const swap = order
      order = tmp
      tmp = swap
    }
    // order[p] = market-order index of position p. Invert into marketMatches; fill blocks and markets.
    this.marketMatches = tmp
    this.matchBlock = new Uint32Array(m)
    for (let p = 0; p < m; p++) {
      const q = order[p]!
      this.marketMatches[q] = p
      this.matchBlock[p] = this.firstBlock + offsets[q]!
    }
    this.matchMarket = order
    for (let i = 0; i < n; i++) {
      for (let q = this.matchStart[i]!; q < this.matchStart[i + 1]!; q++) this.matchMarket[this.marketMatches[q]!] = i
    }

    const resolved: Array<number> = []
    for (let i = 0; i < n; i++) if (this.resolution(i) !== "none") resolved.push(i)
    resolved.sort((a, b) => this.closedTs[a]! - this.closedTs[b]! || a - b)
    this.resolutionMarket = Uint32Array.from(resolved)
    this.resolutionBlock = Uint32Array.from(resolved, (i) => blockAtTimestamp(this.closedTs[i]!))
    this.buildMs = performance.now() - t0
  }

  get matchCount(): number {
    return this.matchBlock.length
  }

  matchesOf(market: number): number {
    return this.matchStart[market + 1]! - this.matchStart[market]!
  }

  /** Global position of match j of market i. */
  position(market: number, j: number): number {
    return this.marketMatches[this.matchStart[market]! + j]!
  }

  /** Rank of position p inside its market (binary search: the market's positions are ascending). */
  rankOf(p: number): number {
    const i = this.matchMarket[p]!
    let lo = this.matchStart[i]!
    let hi = this.matchStart[i + 1]! - 1
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.marketMatches[mid]! < p) lo = mid + 1
      else hi = mid
    }
    return lo - this.matchStart[i]!
  }

  /** First position whose block is >= block. */
  firstPositionAtOrAfter(block: number): number {
    return lowerBound(this.matchBlock, block)
  }

  negRisk(i: number): boolean {
    return (this.status[i]! & ST.negRisk) !== 0
  }

  closed(i: number): boolean {
    return (this.status[i]! & ST.closed) !== 0
  }

  resolution(i: number): Resolution {
    return RESOLUTIONS[(this.status[i]! >>> ST.resShift) & 3]!
  }

  /** Wallet index for a uniform draw: a few wallets trade a lot (some past every offset cap). */
  walletOfDraw(u: number): number {
    return Math.min(this.walletCount - 1, Math.floor(this.walletCount * u * u))
  }

  /** A stable 32-bit digest of the index (for determinism checks). */
  digest(): number {
    let h = hash32(this.seed, this.marketCount, this.matchCount)
    const mix = (arr: Uint32Array | Uint8Array) => {
      for (let k = 0; k < arr.length; k++) h = hash32(h, arr[k]!)
    }
    mix(this.createdTs)
    mix(this.status)
    mix(this.matchStart)
    mix(this.matchBlock)
    mix(this.matchMarket)
    return h
  }
}

export const lowerBound = (arr: Uint32Array, value: number): number => {
  let lo = 0
  let hi = arr.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (arr[mid]! < value) lo = mid + 1
    else hi = mid
  }
  return lo
}
