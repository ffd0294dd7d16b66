import type { Era } from "../domain/polygon.js"
import { CONTRACTS, V2_GENESIS_BLOCK } from "../domain/polygon.js"
import { hash32 as hash32Import, hex32, subUnit as subUnitImport, unit } from "../domain/prng.js"
import { timestampOfBlock } from "./blockClock.js"
import { marketInfo, operatorAddressOf, payoutsOf, walletAddress } from "./market.js"
import type { World } from "./world.js"
import { NS } from "./world.js"

/**
 * The world's ledger: what happened in each match, derived on demand from (seed, market, match rank).
 *
 * A match is one `matchOrders` transaction: a taker order against 1..4 maker orders at one price. Two
 * kinds, as on the real CTF exchange: COMPLEMENTARY (the makers take the other side of the taker's
 * token) and MINT (taker and makers all buy, the makers the complementary outcome; the exchange splits
 * collateral into both tokens). About a third of the matches fill a resting maker order that lives for
 * three consecutive matches of its market, so the same order hash appears in several transactions.
 */

// Local bindings: module runners (vite-node, vitest) turn calls to imported functions into property
// reads through getters, which costs 3x on the hot per-match paths below.
const hash32 = hash32Import
const subUnit = subUnitImport

export interface MatchShape {
  readonly market: number
  readonly j: number
  readonly pos: number
  readonly block: number
  readonly mint: boolean
  /** The taker's outcome (the makers trade the same one, or the other one in a MINT). */
  readonly outcome: number
  readonly takerBuys: boolean
  /** Price of the taker's outcome in cents (1..99). */
  readonly priceCents: number
  readonly taker: number
  readonly takerFeeBps: number
  readonly makers: ReadonlyArray<number>
  /** Raw 6-decimal share amounts per maker order; the taker fills their sum. */
  readonly sizes: ReadonlyArray<number>
  readonly makerFeeBps: ReadonlyArray<number>
  /** Epoch of the resting order filled by maker 0, or -1. */
  readonly restingEpoch: number
}

const FEE_STEPS = [10, 25, 50, 100, 200]
const feeBpsOf = (u: number, v: number): number => (u < 0.8 ? 0 : FEE_STEPS[Math.floor(v * FEE_STEPS.length)]!)

const sizeOf = (u: number, v: number): number =>
  u < 0.01 ? (1 + Math.floor(v * 99)) * 100 : (1 + Math.floor(v * v * v * 50_000)) * 10_000

export const RESTING_SPAN = 3

/**
 * The wallets of match j of market i: makers (slot 0..k-1) into `out`, then the taker at `out[k]`;
 * returns k. Cheap (a few integer hashes), so the wallet index can scan every match.
 */
export const matchParticipants = (world: World, market: number, j: number, out: Uint32Array | Array<number>): number => {
  const h = hash32(world.seed, NS.match, market, j)
  const mint = subUnit(h, 1) < 0.1
  const resting = !mint && subUnit(h, 0) < 0.35
  let used = 0
  if (resting) out[used++] = world.walletOfDraw(subUnit(hash32(world.seed, NS.resting, market, Math.floor(j / RESTING_SPAN)), 0))
  const r5 = subUnit(h, 5)
  const k = r5 < 0.55 ? 1 : r5 < 0.8 ? 2 : r5 < 0.92 ? 3 : 4
  // The taker is drawn right after the resting owner (so it is never a maker) and parked at slot k below.
  const first = used
  const last = k + 1
  for (let slot = 1; used < last; slot++) {
    let w = -1
    for (let a = 0; a < 64 && w < 0; a++) {
      const c = world.walletOfDraw(subUnit(h, slot * 64 + a + 1000))
      let dup = false
      for (let s = 0; s < used; s++) if (out[s] === c) dup = true
      if (!dup) w = c
    }
    for (let c = 0; w < 0; c++) {
      let dup = false
      for (let s = 0; s < used; s++) if (out[s] === c) dup = true
      if (!dup) w = c
    }
    out[used++] = w
  }
  const taker = out[first]!
  for (let s = first; s < k; s++) out[s] = out[s + 1]!
  out[k] = taker
  return k
}

export const matchShape = (world: World, market: number, j: number, pos = world.position(market, j)): MatchShape => {
  const h = hash32(world.seed, NS.match, market, j)
  const u = (slot: number) => subUnit(h, slot)
  const wallets: Array<number> = []
  const k = matchParticipants(world, market, j, wallets)
  const mint = u(1) < 0.1
  const resting = !mint && u(0) < 0.35
  const restingEpoch = resting ? Math.floor(j / RESTING_SPAN) : -1
  let outcome: number
  let takerBuys: boolean
  let priceCents: number
  const sizes: Array<number> = []
  const makerFeeBps: Array<number> = []
  if (resting) {
    const hr = hash32(world.seed, NS.resting, market, restingEpoch)
    const r = (slot: number) => subUnit(hr, slot)
    outcome = r(1) < 0.5 ? 0 : 1
    takerBuys = r(2) < 0.5
    priceCents = 2 + Math.floor(r(3) * 96)
    makerFeeBps.push(feeBpsOf(r(4), r(5)))
    sizes.push(sizeOf(u(40), u(41)))
  } else {
    outcome = u(2) < 0.5 ? 0 : 1
    takerBuys = mint || u(3) < 0.55
    priceCents = 2 + Math.floor(u(4) * 96)
  }
  for (let s = sizes.length; s < k; s++) {
    sizes.push(sizeOf(u(42 + 2 * s), u(43 + 2 * s)))
    makerFeeBps.push(feeBpsOf(u(60 + 2 * s), u(61 + 2 * s)))
  }
  return {
    market,
    j,
    pos,
    block: world.matchBlock[pos]!,
    mint,
    outcome,
    takerBuys,
    priceCents,
    taker: wallets[k]!,
    takerFeeBps: feeBpsOf(u(70), u(71)),
    makers: wallets.slice(0, k),
    sizes,
    makerFeeBps,
    restingEpoch
  }
}

/** One order's fill inside a match, in the exchange's terms. */
export interface OrderLeg {
  readonly wallet: number
  readonly orderHash: string
  /** What the order owner does with the outcome token: BUY pays collateral, SELL pays tokens. */
  readonly side: "BUY" | "SELL"
  readonly outcome: number
  /** Raw amounts: makerAmountFilled is what the order gives, takerAmountFilled what it gets. */
  readonly shares: number
  readonly usdc: number
  readonly fee: number
  readonly isTakerLeg: boolean
}

export type LedgerLog =
  | {
      readonly t: "fill"
      readonly leg: OrderLeg
      readonly maker: string
      readonly taker: string
      readonly tokenId: string
      readonly makerAssetId: string
      readonly takerAssetId: string
      readonly makerAmount: number
      readonly takerAmount: number
      readonly builder: string
      readonly metadata: string
    }
  | {
      readonly t: "matched"
      readonly takerOrderHash: string
      readonly takerOrderMaker: string
      readonly side: "BUY" | "SELL"
      readonly tokenId: string
      readonly makerAssetId: string
      readonly takerAssetId: string
      readonly makerAmount: number
      readonly takerAmount: number
    }
  | { readonly t: "erc20"; readonly token: string; readonly from: string; readonly to: string; readonly amount: number }
  | {
      readonly t: "single"
      readonly operator: string
      readonly from: string
      readonly to: string
      readonly id: string
      readonly value: number
    }
  | {
      readonly t: "batch"
      readonly operator: string
      readonly from: string
      readonly to: string
      readonly ids: ReadonlyArray<string>
      readonly values: ReadonlyArray<number>
    }
  | {
      readonly t: "resolution"
      readonly conditionId: string
      readonly oracle: string
      readonly questionId: string
      readonly payouts: readonly [number, number]
    }

/** A transaction of the simulated chain with its logs in order (log i has logIndex = firstLogIndex + i). */
export interface LedgerTx {
  readonly kind: "match" | "resolution"
  readonly market: number
  /** Rank of the match in its market; -1 for a resolution. */
  readonly j: number
  readonly block: number
  readonly timestamp: number
  readonly txHash: string
  readonly transactionIndex: number
  readonly firstLogIndex: number
  readonly era: Era
  /** The contract the logs' OrderFilled come from (the exchange) or the CTF for a resolution. */
  readonly exchange: string
  readonly collateral: string
  readonly logs: ReadonlyArray<LedgerLog>
}

export const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
export const ZERO_BYTES32 = "0x0000000000000000000000000000000000000000000000000000000000000000"

export const eraOfMatch = (block: number): Era => (block >= V2_GENESIS_BLOCK ? "v2" : "v1")

export const exchangeOf = (era: Era, negRisk: boolean): string =>
  era === "v1"
    ? negRisk
      ? CONTRACTS.negRiskExchangeV1
      : CONTRACTS.ctfExchangeV1
    : negRisk
      ? CONTRACTS.negRiskExchangeV2
      : CONTRACTS.ctfExchangeV2

export const collateralOf = (era: Era): string => (era === "v1" ? CONTRACTS.usdce : CONTRACTS.pusd)

/** Raw fee: V1 on what the order receives (tokens on a BUY, collateral on a SELL); V2 in collateral. */
const feeOf = (era: Era, side: "BUY" | "SELL", shares: number, usdc: number, bps: number): number =>
  bps === 0 ? 0 : Math.floor(((era === "v1" && side === "BUY" ? shares : usdc) * bps) / 10_000)

/** The order legs of a match: makers first (in order), then the taker. */
export const legsOf = (world: World, shape: MatchShape, era: Era = eraOfMatch(shape.block)): ReadonlyArray<OrderLeg> => {
  const seed = world.seed
  const legs: Array<OrderLeg> = []
  let totalShares = 0
  let totalUsdc = 0
  const makerSide: "BUY" | "SELL" = shape.mint ? "BUY" : shape.takerBuys ? "SELL" : "BUY"
  const makerOutcome = shape.mint ? 1 - shape.outcome : shape.outcome
  const makerCents = shape.mint ? 100 - shape.priceCents : shape.priceCents
  for (let s = 0; s < shape.makers.length; s++) {
    const shares = shape.sizes[s]!
    const usdc = (shares * makerCents) / 100
    totalShares += shares
    totalUsdc += (shares * shape.priceCents) / 100
    const orderHash =
      s === 0 && shape.restingEpoch >= 0
        ? hex32(seed, NS.restingOrder, shape.market, shape.restingEpoch)
        : hex32(seed, NS.order, shape.market, shape.j * 8 + s)
    legs.push({
      wallet: shape.makers[s]!,
      orderHash,
      side: makerSide,
      outcome: makerOutcome,
      shares,
      usdc,
      fee: feeOf(era, makerSide, shares, usdc, shape.makerFeeBps[s]!),
      isTakerLeg: false
    })
  }
  const takerSide = shape.takerBuys ? "BUY" : "SELL"
  legs.push({
    wallet: shape.taker,
    orderHash: hex32(seed, NS.order, shape.market, shape.j * 8 + 7),
    side: takerSide,
    outcome: shape.outcome,
    shares: totalShares,
    usdc: totalUsdc,
    fee: feeOf(era, takerSide, totalShares, totalUsdc, shape.takerFeeBps),
    isTakerLeg: true
  })
  return legs
}

/** Number of logs a match's transaction emits (equals buildMatchLogs(...).length; see the test). */
export const logCountOf = (world: World, shape: MatchShape): number => {
  const legs = legsOf(world, shape)
  let n = 1 + 1 + 1 + 1 // taker in, taker out, taker OrderFilled, OrdersMatched
  if (legs[legs.length - 1]!.fee > 0) n++
  for (let s = 0; s < legs.length - 1; s++) {
    n += shape.mint ? 5 : 3
    if (legs[s]!.fee > 0) n++
  }
  return n
}

export const txHashOf = (seed: number, market: number, j: number): string => hex32(seed, NS.tx, market, j)
const resolutionTxHashOf = (seed: number, market: number): string => hex32(seed, NS.tx, market, 0x7fffffff)

/** The logs of one match, in emission order (following ctf-exchange Trading.sol `_matchOrders`). */
export const buildMatchLogs = (world: World, shape: MatchShape): { era: Era; exchange: string; collateral: string; logs: Array<LedgerLog> } => {
  const seed = world.seed
  const info = marketInfo(world, shape.market)
  const era = eraOfMatch(shape.block)
  const exchange = exchangeOf(era, info.negRisk)
  const collateral = collateralOf(era)
  const operator = operatorAddressOf(seed)
  const ctf = CONTRACTS.ctf
  const legs = legsOf(world, shape, era)
  const taker = legs[legs.length - 1]!
  const takerAddress = walletAddress(world, taker.wallet)
  const logs: Array<LedgerLog> = []

  const pay = (leg: OrderLeg, owner: string): LedgerLog =>
    leg.side === "BUY"
      ? { t: "erc20", token: collateral, from: owner, to: exchange, amount: leg.usdc + (era === "v2" ? leg.fee : 0) }
      : { t: "single", operator: exchange, from: owner, to: exchange, id: info.tokenIds[leg.outcome]!, value: leg.shares }
  const proceeds = (leg: OrderLeg, owner: string): Array<LedgerLog> => {
    const out: Array<LedgerLog> = []
    const feeInTokens = era === "v1" && leg.side === "BUY"
    if (leg.side === "BUY") {
      out.push({ t: "single", operator: exchange, from: exchange, to: owner, id: info.tokenIds[leg.outcome]!, value: leg.shares - (feeInTokens ? leg.fee : 0) })
    } else {
      out.push({ t: "erc20", token: collateral, from: exchange, to: owner, amount: leg.usdc - leg.fee })
    }
    if (leg.fee > 0) {
      out.push(
        feeInTokens
          ? { t: "single", operator: exchange, from: exchange, to: operator, id: info.tokenIds[leg.outcome]!, value: leg.fee }
          : { t: "erc20", token: collateral, from: exchange, to: operator, amount: leg.fee }
      )
    }
    return out
  }
  const fill = (leg: OrderLeg, owner: string, counterparty: string, s: number): LedgerLog => {
    const tokenId = info.tokenIds[leg.outcome]!
    const buy = leg.side === "BUY"
    const builderCode = unit(seed, NS.builder, shape.market, shape.j, s) < 0.3
    return {
      t: "fill",
      leg,
      maker: owner,
      taker: counterparty,
      tokenId,
      makerAssetId: buy ? "0" : tokenId,
      takerAssetId: buy ? tokenId : "0",
      makerAmount: buy ? leg.usdc : leg.shares,
      takerAmount: buy ? leg.shares : leg.usdc,
      builder: era === "v2" && builderCode ? hex32(seed, NS.builder, hash32(seed, leg.wallet) % 5, 1) : ZERO_BYTES32,
      metadata: ZERO_BYTES32
    }
  }

  logs.push(pay(taker, takerAddress))
  for (let s = 0; s < legs.length - 1; s++) {
    const leg = legs[s]!
    const owner = walletAddress(world, leg.wallet)
    logs.push(pay(leg, owner))
    if (shape.mint) {
      logs.push({ t: "erc20", token: collateral, from: exchange, to: ctf, amount: leg.shares })
      logs.push({ t: "batch", operator: exchange, from: ZERO_ADDRESS, to: exchange, ids: info.tokenIds, values: [leg.shares, leg.shares] })
    }
    logs.push(...proceeds(leg, owner))
    logs.push(fill(leg, owner, takerAddress, s))
  }
  logs.push(...proceeds(taker, takerAddress))
  const takerFill = fill(taker, takerAddress, exchange, 7)
  logs.push(takerFill)
  if (takerFill.t === "fill") {
    logs.push({
      t: "matched",
      takerOrderHash: taker.orderHash,
      takerOrderMaker: takerAddress,
      side: taker.side,
      tokenId: takerFill.tokenId,
      makerAssetId: takerFill.makerAssetId,
      takerAssetId: takerFill.takerAssetId,
      makerAmount: takerFill.makerAmount,
      takerAmount: takerFill.takerAmount
    })
  }
  return { era, exchange, collateral, logs }
}

/** Positions [lo, hi) of the matches in blocks [fromBlock, toBlock]. */
export const positionsInBlocks = (world: World, fromBlock: number, toBlock: number): readonly [number, number] => [
  world.firstPositionAtOrAfter(fromBlock),
  world.firstPositionAtOrAfter(toBlock + 1)
]

/** Resolution entries [lo, hi) in blocks [fromBlock, toBlock]. */
const resolutionsInBlocks = (world: World, fromBlock: number, toBlock: number): readonly [number, number] => {
  const lb = (b: number) => {
    let lo = 0
    let hi = world.resolutionBlock.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (world.resolutionBlock[mid]! < b) lo = mid + 1
      else hi = mid
    }
    return lo
  }
  return [lb(fromBlock), lb(toBlock + 1)]
}

const matchTx = (world: World, pos: number, transactionIndex: number, firstLogIndex: number, shape?: MatchShape): LedgerTx => {
  const market = world.matchMarket[pos]!
  const sh = shape ?? matchShape(world, market, world.rankOf(pos), pos)
  const built = buildMatchLogs(world, sh)
  return {
    kind: "match",
    market,
    j: sh.j,
    block: sh.block,
    timestamp: timestampOfBlock(sh.block),
    txHash: txHashOf(world.seed, market, sh.j),
    transactionIndex,
    firstLogIndex,
    era: built.era,
    exchange: built.exchange,
    collateral: built.collateral,
    logs: built.logs
  }
}

const resolutionTx = (world: World, market: number, block: number, transactionIndex: number, firstLogIndex: number): LedgerTx => {
  const info = marketInfo(world, market)
  const era = eraOfMatch(block)
  return {
    kind: "resolution",
    market,
    j: -1,
    block,
    timestamp: timestampOfBlock(block),
    txHash: resolutionTxHashOf(world.seed, market),
    transactionIndex,
    firstLogIndex,
    era,
    exchange: CONTRACTS.ctf,
    collateral: collateralOf(era),
    logs: [{ t: "resolution", conditionId: info.conditionId, oracle: info.oracle, questionId: info.questionId, payouts: payoutsOf(info.resolution)! }]
  }
}

/**
 * Every transaction in blocks [fromBlock, toBlock], in chain order: per block, the matches by position,
 * then the resolutions. Log indexes count from 0 in each block.
 */
export function* txsInBlocks(world: World, fromBlock: number, toBlock: number): Generator<LedgerTx> {
  let [p, pEnd] = positionsInBlocks(world, fromBlock, toBlock)
  let [r, rEnd] = resolutionsInBlocks(world, fromBlock, toBlock)
  while (p < pEnd || r < rEnd) {
    const block = Math.min(p < pEnd ? world.matchBlock[p]! : Infinity, r < rEnd ? world.resolutionBlock[r]! : Infinity)
    let txIndex = 0
    let logIndex = 0
    while (p < pEnd && world.matchBlock[p] === block) {
      const tx = matchTx(world, p, txIndex++, logIndex)
      logIndex += tx.logs.length
      yield tx
      p++
    }
    while (r < rEnd && world.resolutionBlock[r] === block) {
      const tx = resolutionTx(world, world.resolutionMarket[r]!, block, txIndex++, logIndex)
      logIndex += tx.logs.length
      yield tx
      r++
    }
  }
}

/** The transaction of match j of market i, with its block-level transaction and log indexes. */
export const matchTxOf = (world: World, market: number, j: number): LedgerTx => {
  const pos = world.position(market, j)
  const block = world.matchBlock[pos]!
  let first = world.firstPositionAtOrAfter(block)
  let logIndex = 0
  const txIndex = pos - first
  for (; first < pos; first++) {
    const m = world.matchMarket[first]!
    logIndex += logCountOf(world, matchShape(world, m, world.rankOf(first), first))
  }
  return matchTx(world, pos, txIndex, logIndex)
}

/** Every match transaction of a market, in block order. */
export function* marketTxs(world: World, market: number): Generator<LedgerTx> {
  const n = world.matchesOf(market)
  for (let j = 0; j < n; j++) yield matchTxOf(world, market, j)
}

/** The resolution transaction of a resolved market (with its indexes in its block), or undefined. */
export const resolutionTxOf = (world: World, market: number): LedgerTx | undefined => {
  if (world.resolution(market) === "none") return undefined
  const block = world.resolutionBlock[world.resolutionMarket.indexOf(market)]!
  for (const tx of txsInBlocks(world, block, block)) if (tx.kind === "resolution" && tx.market === market) return tx
  return undefined
}

/** Sum of the taker legs' collateral of a market (its traded volume, counted once), raw 6 decimals. */
export const marketVolumeRaw = (world: World, market: number): number => {
  let total = 0
  const n = world.matchesOf(market)
  for (let j = 0; j < n; j++) {
    const shape = matchShape(world, market, j)
    let shares = 0
    for (const s of shape.sizes) shares += s
    total += (shares * shape.priceCents) / 100
  }
  return total
}
