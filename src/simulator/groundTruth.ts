import type {
  ClobFillRow,
  Erc1155TransferRow,
  Erc20TransferRow,
  ExternalTradeRow,
  MarketResolutionRow,
  MarketRow,
  MarketTokenRow
} from "../domain/tables.js"
import { CONTRACTS } from "../domain/polygon.js"
import { ghostMarkets } from "./ghost.js"
import type { LedgerLog, LedgerTx } from "./ledger.js"
import { marketTxs, marketVolumeRaw, matchTxOf, txsInBlocks } from "./ledger.js"
import { marketInfo, payoutsOf, walletAddress } from "./market.js"
import { TAKER_SLOT, walletIndex } from "./walletIndex.js"
import type { World } from "./world.js"

/**
 * Ground truth: the rows every job should write, computed from the world's ledger (never from the
 * simulator's HTTP answers), in the shapes of src/domain/tables.ts without ingestion timestamps.
 * Everything is a function of one market, one block range or one wallet, so a test can check a subset
 * of a large world without materialising all of it.
 */
export type MarketTruth = Omit<MarketRow, "updated_at">
export type MarketTokenTruth = Omit<MarketTokenRow, "updated_at">
export type FillTruth = Omit<ClobFillRow, "ingested_at">
export type ExternalTradeTruth = Omit<ExternalTradeRow, "ingested_at">
export type Erc20Truth = Omit<Erc20TransferRow, "ingested_at">
export type Erc1155Truth = Omit<Erc1155TransferRow, "ingested_at">
export type ResolutionTruth = Omit<MarketResolutionRow, "updated_at">

/**
 * A market as a client derives it from its Gamma object: numbers parsed from the JSON-encoded strings,
 * absent keys as 0 / "", `resolved` when umaResolutionStatus is "resolved", the winner the outcome
 * whose price is "1", void when both prices are "0.5".
 */
export const marketTruth = (world: World, i: number): { readonly market: MarketTruth; readonly tokens: ReadonlyArray<MarketTokenTruth> } => {
  const info = marketInfo(world, i)
  const resolved = info.umaResolutionStatus === "resolved"
  const winner = resolved && info.resolution === "win0" ? 0 : resolved && info.resolution === "win1" ? 1 : -1
  const market: MarketTruth = {
    condition_id: info.conditionId,
    market_id: info.id,
    question_id: info.questionId,
    question: info.question,
    slug: info.slug,
    event_slug: info.eventSlug,
    outcomes: [...info.outcomes],
    token_ids: [...info.tokenIds],
    neg_risk: info.negRisk ? 1 : 0,
    active: 1,
    closed: info.closed ? 1 : 0,
    volume: info.hasVolumeKey ? marketVolumeRaw(world, i) / 1e6 : 0,
    liquidity: info.hasLiquidityKey ? info.liquidity : 0,
    start_date: info.hasStartDateKey ? info.createdTs : 0,
    end_date: info.endTs,
    closed_time: info.closed ? info.closedTs : 0,
    resolution_status: info.umaResolutionStatus ?? "",
    outcome_prices: info.outcomePrices.map(Number),
    resolved: resolved ? 1 : 0,
    winning_outcome_index: winner,
    is_void: resolved && info.resolution === "void" ? 1 : 0
  }
  const tokens = info.tokenIds.map((token_id, outcome_index) => ({
    token_id,
    condition_id: info.conditionId,
    outcome_index,
    outcome: info.outcomes[outcome_index]!,
    winner: winner === outcome_index ? 1 : 0
  }))
  return { market, tokens }
}

/** Every market Gamma lists (ghost markets excluded), in index (= id) order. */
export function* marketTruths(world: World): Generator<ReturnType<typeof marketTruth>> {
  for (let i = 0; i < world.marketCount; i++) yield marketTruth(world, i)
}

export type FillSource = "rpc" | "goldsky"

const fillRow = (world: World, tx: LedgerTx, log: Extract<LedgerLog, { t: "fill" }>, logIndex: number, source: FillSource): FillTruth => {
  const info = marketInfo(world, tx.market)
  const leg = log.leg
  const feeInTokens = tx.era === "v1" && leg.side === "BUY"
  return {
    fill_id: `${tx.txHash}_${leg.orderHash}`,
    tx_hash: tx.txHash,
    order_hash: leg.orderHash,
    log_index: source === "rpc" ? logIndex : -1,
    block_number: source === "rpc" ? tx.block : 0,
    timestamp: tx.timestamp,
    exchange: source === "rpc" ? tx.exchange : "",
    era: tx.era,
    maker: log.maker,
    taker: log.taker,
    maker_asset_id: log.makerAssetId,
    taker_asset_id: log.takerAssetId,
    maker_amount_filled: String(log.makerAmount),
    taker_amount_filled: String(log.takerAmount),
    fee: String(leg.fee),
    // The ledger's fee rule: V1 charges what the order receives (tokens on a BUY); V2 collateral.
    fee_asset: feeInTokens ? "token" : "collateral",
    fee_shares: feeInTokens ? leg.fee / 1e6 : 0,
    fee_usdc: feeInTokens ? 0 : leg.fee / 1e6,
    builder: tx.era === "v2" ? log.builder : "",
    metadata: tx.era === "v2" ? log.metadata : "",
    wallet: log.maker,
    side: leg.side,
    token_id: log.tokenId,
    condition_id: info.conditionId,
    outcome_index: leg.outcome,
    price: leg.usdc / leg.shares,
    size: leg.shares / 1e6,
    usdc: leg.usdc / 1e6,
    is_taker_leg: leg.isTakerLeg ? 1 : 0,
    source
  }
}

const fillsOfTx = (world: World, tx: LedgerTx, source: FillSource): Array<FillTruth> => {
  const out: Array<FillTruth> = []
  tx.logs.forEach((log, k) => {
    if (log.t === "fill") out.push(fillRow(world, tx, log, tx.firstLogIndex + k, source))
  })
  return out
}

/**
 * The OrderFilled events of one market, maker perspective (wallet = maker), in chain order. With
 * source "goldsky": only V1-era fills (the subgraph stopped at the V2 switch), with log_index -1,
 * block_number 0 and exchange "" (the subgraph does not say).
 */
export const fillTruthsOfMarket = (world: World, market: number, source: FillSource = "rpc"): Array<FillTruth> => {
  const out: Array<FillTruth> = []
  for (const tx of marketTxs(world, market)) {
    if (source === "goldsky" && tx.era !== "v1") continue
    out.push(...fillsOfTx(world, tx, source))
  }
  return out
}

/** The OrderFilled events in blocks [fromBlock, toBlock] (as eth_getLogs serves them), in chain order. */
export function* fillTruthsInBlocks(world: World, fromBlock: number, toBlock: number): Generator<FillTruth> {
  for (const tx of txsInBlocks(world, fromBlock, toBlock)) yield* fillsOfTx(world, tx, "rpc")
}

/** ERC-20 Transfer logs (USDC.e in V1, pUSD in V2) in blocks [fromBlock, toBlock]. */
export function* erc20TruthsInBlocks(world: World, fromBlock: number, toBlock: number): Generator<Erc20Truth> {
  for (const tx of txsInBlocks(world, fromBlock, toBlock)) {
    for (let k = 0; k < tx.logs.length; k++) {
      const log = tx.logs[k]!
      if (log.t !== "erc20") continue
      yield {
        tx_hash: tx.txHash,
        log_index: tx.firstLogIndex + k,
        block_number: tx.block,
        timestamp: tx.timestamp,
        token: log.token,
        from_address: log.from,
        to_address: log.to,
        amount: String(log.amount)
      }
    }
  }
}

/** ERC-1155 TransferSingle (batch_index 0) and TransferBatch (one row per id) logs of the CTF. */
export function* erc1155TruthsInBlocks(world: World, fromBlock: number, toBlock: number): Generator<Erc1155Truth> {
  for (const tx of txsInBlocks(world, fromBlock, toBlock)) {
    for (let k = 0; k < tx.logs.length; k++) {
      const log = tx.logs[k]!
      const base = { tx_hash: tx.txHash, log_index: tx.firstLogIndex + k, block_number: tx.block, timestamp: tx.timestamp, contract: CONTRACTS.ctf }
      if (log.t === "single") {
        yield { ...base, batch_index: 0, operator: log.operator, from_address: log.from, to_address: log.to, token_id: log.id, amount: String(log.value), zero_value: log.value === 0 ? 1 : 0 }
      } else if (log.t === "batch") {
        for (let b = 0; b < log.ids.length; b++) {
          const amount = log.values[b]!
          yield { ...base, batch_index: b, operator: log.operator, from_address: log.from, to_address: log.to, token_id: log.ids[b]!, amount: String(amount), zero_value: amount === 0 ? 1 : 0 }
        }
      }
    }
  }
}

/** ConditionResolution logs of the CTF in blocks [fromBlock, toBlock]: payouts as the ledger set them. */
export function* resolutionTruthsInBlocks(world: World, fromBlock: number, toBlock: number): Generator<ResolutionTruth> {
  for (const tx of txsInBlocks(world, fromBlock, toBlock)) {
    for (let k = 0; k < tx.logs.length; k++) {
      const log = tx.logs[k]!
      if (log.t !== "resolution") continue
      const paying = log.payouts.filter((p) => p > 0).length
      yield {
        condition_id: log.conditionId,
        oracle: log.oracle,
        question_id: log.questionId,
        outcome_slot_count: log.payouts.length,
        payout_numerators: log.payouts.map(String),
        payout_denominator: String(log.payouts.reduce((a, b) => a + b, 0)),
        winning_outcome_index: paying === 1 ? log.payouts.findIndex((p) => p > 0) : -1,
        is_void: paying > 1 ? 1 : 0,
        resolved_at: tx.timestamp,
        block_number: tx.block,
        tx_hash: tx.txHash,
        log_index: tx.firstLogIndex + k,
        source: "rpc"
      }
    }
  }
}

/** The Data-API trade identity: one trade per (transaction, wallet, token, side). */
export const externalTradeId = (txHash: string, wallet: string, tokenId: string, side: string): string =>
  `${txHash}_${wallet}_${tokenId}_${side}`

/** Data-API v2 never returns fills under 0.01 shares (filter_amount default). */
export const V2_MIN_SHARES_RAW = 10_000

/**
 * A wallet's Data-API trades: one per order leg the wallet traded on the CLOB (maker and taker legs,
 * what /activity?type=TRADE and /trades?takerOnly=false serve) plus its ghost-market trades, in
 * chain order. `api` "v2" drops fills under 0.01 shares, as /v2 does.
 */
export const externalTradeTruthsOfWallet = (world: World, wallet: number, api: "v1" | "v2" = "v1"): Array<ExternalTradeTruth> => {
  const address = walletAddress(world, wallet)
  const source = api === "v1" ? "data-api-v1" : "data-api-v2"
  const out: Array<ExternalTradeTruth> = []
  for (const fill of walletFills(world, wallet)) {
    if (api === "v2" && fill.leg.shares < V2_MIN_SHARES_RAW) continue
    const info = marketInfo(world, fill.tx.market)
    out.push({
      external_trade_id: externalTradeId(fill.tx.txHash, address, fill.log.tokenId, fill.leg.side),
      wallet: address,
      side: fill.leg.side,
      token_id: fill.log.tokenId,
      condition_id: info.conditionId,
      outcome_index: fill.leg.outcome,
      outcome: info.outcomes[fill.leg.outcome]!,
      price: fill.leg.usdc / fill.leg.shares,
      size: fill.leg.shares / 1e6,
      usdc: fill.leg.usdc / 1e6,
      timestamp: fill.tx.timestamp,
      tx_hash: fill.tx.txHash,
      title: info.question,
      slug: info.slug,
      source
    })
  }
  for (const g of ghostMarkets(world)) {
    for (const t of g.trades) {
      if (t.wallet !== wallet) continue
      if (api === "v2" && t.shares < V2_MIN_SHARES_RAW) continue
      const usdcRaw = (t.shares * t.priceCents) / 100
      out.push({
        external_trade_id: externalTradeId(t.txHash, address, g.tokenIds[t.outcome]!, t.side),
        wallet: address,
        side: t.side,
        token_id: g.tokenIds[t.outcome]!,
        condition_id: g.conditionId,
        // The Data-API serves outcomeIndex 999 ("unknown") for ghost markets.
        outcome_index: -1,
        outcome: g.outcomes[t.outcome]!,
        price: usdcRaw / t.shares,
        size: t.shares / 1e6,
        usdc: usdcRaw / 1e6,
        timestamp: t.timestamp,
        tx_hash: t.txHash,
        title: g.title,
        slug: g.slug,
        source
      })
    }
  }
  return out
}

export interface WalletFill {
  readonly tx: LedgerTx
  readonly log: Extract<LedgerLog, { t: "fill" }>
  readonly leg: Extract<LedgerLog, { t: "fill" }>["leg"]
  readonly logIndex: number
}

/** Every OrderFilled event whose `maker` is the wallet (its maker-order and taker-order legs), in chain order. */
export function* walletFills(world: World, wallet: number): Generator<WalletFill> {
  for (const entry of walletIndex(world).entries(wallet)) {
    const pos = Math.floor(entry / 8)
    const slot = entry % 8
    const market = world.matchMarket[pos]!
    const tx = matchTxOf(world, market, world.rankOf(pos))
    const fills = tx.logs.filter((l): l is Extract<LedgerLog, { t: "fill" }> => l.t === "fill")
    const log = slot === TAKER_SLOT ? fills[fills.length - 1]! : fills[slot]!
    yield { tx, log, leg: log.leg, logIndex: tx.firstLogIndex + tx.logs.indexOf(log) }
  }
}

/**
 * Realized P&L of every wallet that traded a market, in USDC (gross of fees, whose units differ by era):
 *
 *   pnl(wallet, market) = Σ_SELL usdc − Σ_BUY usdc + Σ_outcome payout(outcome) × (bought − sold shares of outcome)
 *
 * over the OrderFilled events whose `maker` is the wallet (each order leg once, maker and taker legs
 * alike; volume double counting does not arise because each leg belongs to one wallet). payout is
 * numerator / denominator of the market's ConditionResolution ([1,0] → 1 and 0, void [1,1] → 0.5
 * each) and 0 for an unresolved market, whose open shares are not counted.
 */
export const pnlOfMarket = (world: World, market: number): Map<string, number> => {
  const info = marketInfo(world, market)
  const payouts = payoutsOf(info.resolution)
  const perShare = payouts === undefined ? [0, 0] : payouts.map((p) => p / (payouts[0] + payouts[1]))
  const cash = new Map<string, number>()
  const shares = new Map<string, [number, number]>()
  for (const tx of marketTxs(world, market)) {
    for (const log of tx.logs) {
      if (log.t !== "fill") continue
      const leg = log.leg
      const sign = leg.side === "BUY" ? 1 : -1
      cash.set(log.maker, (cash.get(log.maker) ?? 0) - sign * leg.usdc)
      const held = shares.get(log.maker) ?? [0, 0]
      held[leg.outcome]! += sign * leg.shares
      shares.set(log.maker, held)
    }
  }
  const out = new Map<string, number>()
  for (const [wallet, c] of cash) {
    const held = shares.get(wallet)!
    out.set(wallet, (c + held[0] * perShare[0]! + held[1] * perShare[1]!) / 1e6)
  }
  return out
}

/** A wallet's realized P&L per market (by condition id), same definition as pnlOfMarket. */
export const pnlOfWallet = (world: World, wallet: number): Map<string, number> => {
  const address = walletAddress(world, wallet)
  const markets = new Set<number>()
  for (const f of walletFills(world, wallet)) markets.add(f.tx.market)
  const out = new Map<string, number>()
  for (const m of markets) out.set(marketInfo(world, m).conditionId, pnlOfMarket(world, m).get(address) ?? 0)
  return out
}
