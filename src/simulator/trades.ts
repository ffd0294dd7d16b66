import { timestampOfBlock } from "./blockClock.js"
import { ghostMarkets } from "./ghost.js"
import type { OrderLeg } from "./ledger.js"
import { legsOf, matchShape, txHashOf } from "./ledger.js"
import { KeyIndex, marketInfo, NEG_RISK_GROUP } from "./market.js"
import { TAKER_SLOT, walletIndex } from "./walletIndex.js"
import type { World } from "./world.js"

/**
 * The Data-API's view of the ledger: one trade per order leg (the wallet that owned the order, its
 * side, shares and price), plus the ghost markets' trades. Trades are referenced compactly and only
 * materialised for the page being served.
 */
export interface TradeRef {
  readonly ts: number
  /** Tiebreak inside a timestamp: pos * 8 + slot for CLOB legs, larger for ghost trades. */
  readonly order: number
  /** CLOB: position and slot (TAKER_SLOT for the taker leg); ghost: -1. */
  readonly pos: number
  readonly slot: number
  readonly ghost: number
  readonly ghostTrade: number
}

export interface Trade {
  readonly wallet: number
  readonly side: "BUY" | "SELL"
  readonly outcome: number
  /** 999 when the Data-API does not know the outcome (ghost markets). */
  readonly outcomeIndexServed: number
  readonly shares: number
  readonly usdc: number
  readonly priceCents: number
  readonly isTaker: boolean
  readonly timestamp: number
  readonly txHash: string
  readonly conditionId: string
  readonly tokenId: string
  readonly title: string
  readonly slug: string
  readonly eventSlug: string
  readonly icon: string
  readonly outcomeName: string
}

const GHOST_ORDER_BASE = 2 ** 45

export const clobRef = (world: World, entry: number): TradeRef => {
  const pos = Math.floor(entry / 8)
  return { ts: timestampOfBlock(world.matchBlock[pos]!), order: entry, pos, slot: entry % 8, ghost: -1, ghostTrade: -1 }
}

const ghostRef = (g: number, t: number, ts: number): TradeRef => ({ ts, order: GHOST_ORDER_BASE + g * 4096 + t, pos: -1, slot: -1, ghost: g, ghostTrade: t })

export const compareRefs = (a: TradeRef, b: TradeRef): number => a.ts - b.ts || a.order - b.order

const legCache = new WeakMap<World, Map<number, ReadonlyArray<OrderLeg>>>()
const legsAt = (world: World, pos: number): ReadonlyArray<OrderLeg> => {
  let m = legCache.get(world)
  if (m === undefined) {
    m = new Map()
    legCache.set(world, m)
  }
  const hit = m.get(pos)
  if (hit !== undefined) return hit
  const market = world.matchMarket[pos]!
  const legs = legsOf(world, matchShape(world, market, world.rankOf(pos), pos))
  if (m.size > 5_000) m.clear()
  m.set(pos, legs)
  return legs
}

/** The leg (side, amounts) of a CLOB ref, or the ghost trade's. */
export const legOfRef = (world: World, ref: TradeRef): { side: "BUY" | "SELL"; shares: number; usdc: number; isTaker: boolean; wallet: number } => {
  if (ref.ghost >= 0) {
    const t = ghostMarkets(world)[ref.ghost]!.trades[ref.ghostTrade]!
    return { side: t.side, shares: t.shares, usdc: (t.shares * t.priceCents) / 100, isTaker: true, wallet: t.wallet }
  }
  const legs = legsAt(world, ref.pos)
  const leg = ref.slot === TAKER_SLOT ? legs[legs.length - 1]! : legs[ref.slot]!
  return { side: leg.side, shares: leg.shares, usdc: leg.usdc, isTaker: leg.isTakerLeg, wallet: leg.wallet }
}

export const materialize = (world: World, ref: TradeRef): Trade => {
  if (ref.ghost >= 0) {
    const g = ghostMarkets(world)[ref.ghost]!
    const t = g.trades[ref.ghostTrade]!
    return {
      wallet: t.wallet,
      side: t.side,
      outcome: t.outcome,
      outcomeIndexServed: 999,
      shares: t.shares,
      usdc: (t.shares * t.priceCents) / 100,
      priceCents: t.priceCents,
      isTaker: true,
      timestamp: t.timestamp,
      txHash: t.txHash,
      conditionId: g.conditionId,
      tokenId: g.tokenIds[t.outcome]!,
      title: g.title,
      slug: g.slug,
      eventSlug: g.eventSlug,
      icon: "",
      outcomeName: g.outcomes[t.outcome]!
    }
  }
  const legs = legsAt(world, ref.pos)
  const leg = ref.slot === TAKER_SLOT ? legs[legs.length - 1]! : legs[ref.slot]!
  const market = world.matchMarket[ref.pos]!
  const info = marketInfo(world, market)
  return {
    wallet: leg.wallet,
    side: leg.side,
    outcome: leg.outcome,
    outcomeIndexServed: leg.outcome,
    shares: leg.shares,
    usdc: leg.usdc,
    priceCents: Math.round((leg.usdc * 100) / leg.shares),
    isTaker: leg.isTakerLeg,
    timestamp: ref.ts,
    txHash: txHashOf(world.seed, market, world.rankOf(ref.pos)),
    conditionId: info.conditionId,
    tokenId: info.tokenIds[leg.outcome]!,
    title: info.question,
    slug: info.slug,
    eventSlug: info.eventSlug,
    icon: info.icon,
    outcomeName: info.outcomes[leg.outcome]!
  }
}

const walletEntryCache = new WeakMap<World, Map<number, Uint32Array>>()

/** A wallet's CLOB entries (pos * 8 + slot, ascending = chain order), a few wallets cached. */
const walletEntries = (world: World, wallet: number): Uint32Array => {
  let m = walletEntryCache.get(world)
  if (m === undefined) {
    m = new Map()
    walletEntryCache.set(world, m)
  }
  const hit = m.get(wallet)
  if (hit !== undefined) return hit
  const entries = walletIndex(world).entries(wallet)
  if (m.size >= 32) m.clear()
  m.set(wallet, entries)
  return entries
}

/**
 * Every trade of a wallet (CLOB legs and ghost trades) with a timestamp in [fromTs, toTs], in
 * (timestamp, order) order or its reverse, built lazily from the compact entry list.
 */
export function* walletRefs(world: World, wallet: number, ascending: boolean, fromTs = 0, toTs = Number.MAX_SAFE_INTEGER): Generator<TradeRef> {
  const entries = walletEntries(world, wallet)
  const tsOf = (k: number) => timestampOfBlock(world.matchBlock[Math.floor(entries[k]! / 8)]!)
  // First entry with ts >= fromTs, and first with ts > toTs (entries are in timestamp order).
  const bound = (ts: number, strict: boolean) => {
    let lo = 0
    let hi = entries.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (strict ? tsOf(mid) <= ts : tsOf(mid) < ts) lo = mid + 1
      else hi = mid
    }
    return lo
  }
  const lo = bound(fromTs, false)
  const hi = bound(toTs, true)
  const ghosts: Array<TradeRef> = []
  for (const g of ghostMarkets(world)) {
    g.trades.forEach((t, n) => t.wallet === wallet && t.timestamp >= fromTs && t.timestamp <= toTs && ghosts.push(ghostRef(g.index, n, t.timestamp)))
  }
  ghosts.sort(ascending ? compareRefs : (a, b) => compareRefs(b, a))
  let gi = 0
  const before = (a: TradeRef, b: TradeRef) => (ascending ? compareRefs(a, b) < 0 : compareRefs(a, b) > 0)
  for (let n = 0; n < hi - lo; n++) {
    const ref = clobRef(world, entries[ascending ? lo + n : hi - 1 - n]!)
    while (gi < ghosts.length && before(ghosts[gi]!, ref)) yield ghosts[gi++]!
    yield ref
  }
  while (gi < ghosts.length) yield ghosts[gi++]!
}

/** Trades of a set of markets (all wallets), ascending; `-1 - g` stands for ghost market g. */
export const marketRefs = (world: World, markets: ReadonlyArray<number>, takerOnly: boolean): Array<TradeRef> => {
  const refs: Array<TradeRef> = []
  for (const m of markets) {
    if (m < 0) {
      const g = ghostMarkets(world)[-1 - m]!
      g.trades.forEach((t, n) => refs.push(ghostRef(g.index, n, t.timestamp)))
      continue
    }
    for (let q = world.matchStart[m]!; q < world.matchStart[m + 1]!; q++) {
      const pos = world.marketMatches[q]!
      if (!takerOnly) {
        const k = matchShape(world, m, q - world.matchStart[m]!, pos).makers.length
        for (let s = 0; s < k; s++) refs.push(clobRef(world, pos * 8 + s))
      }
      refs.push(clobRef(world, pos * 8 + TAKER_SLOT))
    }
  }
  return refs.sort(compareRefs)
}

/** The whole feed in descending order (newest first), lazily: CLOB legs by position, ghosts merged in. */
export function* feedDesc(world: World, takerOnly: boolean, fromTs: number): Generator<TradeRef> {
  const ghosts: Array<TradeRef> = []
  for (const g of ghostMarkets(world)) g.trades.forEach((t, n) => ghosts.push(ghostRef(g.index, n, t.timestamp)))
  ghosts.sort((a, b) => compareRefs(b, a))
  let gi = 0
  for (let pos = world.matchCount - 1; pos >= 0; pos--) {
    const ts = timestampOfBlock(world.matchBlock[pos]!)
    if (ts < fromTs) break
    const batch: Array<TradeRef> = [clobRef(world, pos * 8 + TAKER_SLOT)]
    if (!takerOnly) {
      const m = world.matchMarket[pos]!
      const k = matchShape(world, m, world.rankOf(pos), pos).makers.length
      for (let s = k - 1; s >= 0; s--) batch.push(clobRef(world, pos * 8 + s))
    }
    for (const ref of batch) {
      while (gi < ghosts.length && compareRefs(ghosts[gi]!, ref) > 0) yield ghosts[gi++]!
      yield ref
    }
  }
  while (gi < ghosts.length && ghosts[gi]!.ts >= fromTs) yield ghosts[gi++]!
}

const conditionIndexes = new WeakMap<World, KeyIndex>()

/** Market index of a condition id; `-1 - g` for ghost market g; undefined when unknown. */
export const marketOfCondition = (world: World, conditionId: string): number | undefined => {
  const id = conditionId.toLowerCase()
  const g = ghostMarkets(world).findIndex((x) => x.conditionId === id)
  if (g >= 0) return -1 - g
  let idx = conditionIndexes.get(world)
  if (idx === undefined) {
    idx = new KeyIndex(world.marketCount, (i) => marketInfo(world, i).conditionId)
    conditionIndexes.set(world, idx)
  }
  return idx.find(id)
}

/** Markets of a Gamma event id (binary: one market; neg-risk: the group's neg-risk markets). */
export const marketsOfEvent = (world: World, eventId: string): Array<number> => {
  const n = Number(eventId)
  if (!Number.isInteger(n) || n < 30_000) return []
  if (n % 2 === 0) {
    const i = (n - 30_000) / 2
    return i < world.marketCount && !world.negRisk(i) ? [i] : []
  }
  const group = (n - 30_001) / 2
  const out: Array<number> = []
  for (let i = group * NEG_RISK_GROUP; i < Math.min(world.marketCount, (group + 1) * NEG_RISK_GROUP); i++) if (world.negRisk(i)) out.push(i)
  return out
}
