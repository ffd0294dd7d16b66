import { Schema } from "effect"
import { Address } from "./ids.js"
import { command, N, query } from "./statement.js"
import { quote, sql } from "./sql.js"
import { TABLES } from "./tables.js"

// ---- the P&L rebuild (src/streams/pnlRebuild.ts) and its readers (src/cli/pnl.ts, src/cli/leaderboard.ts) ----

export const PNL_TABLES = ["wallet_market_pnl", "wallet_leaderboard"] as const
export type PnlTable = (typeof PNL_TABLES)[number]
const staging = (table: PnlTable) => `${table}_staging`
const resetStaging = (table: PnlTable) => `DROP TABLE IF EXISTS ${staging(table)}`
const createStaging = (table: PnlTable) => `CREATE TABLE ${staging(table)} AS ${table}`

/** One trade as the fold reads it (pnl.trades gives the order). */
export const PnlTradeRow = Schema.Struct({
  wallet: Schema.String,
  token_id: Schema.String,
  condition_id: Schema.String,
  side: Schema.String,
  size: N,
  usdc: N,
  fee_shares: N,
  fee_usdc: N
})

export const LEADERBOARD_METRICS = ["omega", "pnl", "winrate", "volume"] as const
export type LeaderboardMetric = (typeof LEADERBOARD_METRICS)[number]
// A wallet without a loss has Omega +Infinity: it ranks above every finite one (ties by P&L).
const OMEGA = "if(losses > 0, gains / losses, if(gains > 0, 1e300, 0))"
const METRIC_ORDER: Record<LeaderboardMetric, string> = {
  omega: `${OMEGA} DESC, pnl DESC`,
  pnl: "pnl DESC",
  winrate: "win_rate DESC, resolved_markets DESC",
  volume: "volume DESC"
}

export const LeaderboardRow = Schema.Struct({
  wallet: Schema.String,
  pnl: N,
  markets: N,
  resolved_markets: N,
  wins: N,
  win_rate: N,
  gains: N,
  losses: N,
  volume: N,
  fees: N
})

export const WalletMarketRow = Schema.Struct({
  condition_id: Schema.String,
  question: Schema.String,
  realized_pnl: N,
  cost: N,
  proceeds: N,
  fees_usdc: N,
  fees_shares: N,
  payout: N,
  shares_left: N,
  resolved: N,
  trades: N,
  oversold_sells: N
})

/**
 * The direction check's rows: fills whose transaction has ERC-1155 and collateral transfers loaded, with
 * the wallet's net flow of the fill's token and of collateral in that transaction. A BUY brings the wallet
 * tokens and takes collateral; a SELL the reverse.
 */
const DIRECTION_ROWS =
  "SELECT fill_id, wallet, side, usdc, token_net, collateral_net FROM (" +
  "SELECT fill_id, wallet, side, usdc, token_net, tx_hash FROM (" +
  `SELECT fill_id, tx_hash, wallet, token_id, side, usdc FROM ${TABLES.clobFills} FINAL ` +
  `WHERE tx_hash IN (SELECT tx_hash FROM ${TABLES.erc1155Transfers}) AND tx_hash IN (SELECT tx_hash FROM ${TABLES.erc20Transfers})` +
  ") AS f ANY LEFT JOIN (" +
  "SELECT tx_hash, wallet, token_id, sum(v) AS token_net FROM (" +
  `SELECT tx_hash, to_address AS wallet, token_id, toFloat64OrZero(amount) AS v FROM ${TABLES.erc1155Transfers} FINAL ` +
  `UNION ALL SELECT tx_hash, from_address AS wallet, token_id, -toFloat64OrZero(amount) AS v FROM ${TABLES.erc1155Transfers} FINAL` +
  ") GROUP BY tx_hash, wallet, token_id) AS t USING (tx_hash, wallet, token_id)" +
  ") AS ft ANY LEFT JOIN (" +
  "SELECT tx_hash, wallet, sum(v) AS collateral_net FROM (" +
  `SELECT tx_hash, to_address AS wallet, toFloat64OrZero(amount) AS v FROM ${TABLES.erc20Transfers} FINAL ` +
  `UNION ALL SELECT tx_hash, from_address AS wallet, -toFloat64OrZero(amount) AS v FROM ${TABLES.erc20Transfers} FINAL` +
  ") GROUP BY tx_hash, wallet) AS c USING (tx_hash, wallet)"
const AGREES = "side = 'BUY' AND token_net > 0 AND collateral_net < 0 OR side = 'SELL' AND token_net < 0 AND collateral_net > 0"

const EXAMPLE_WALLET = Schema.decodeSync(Address)("0x00000003a1b2c3d4e5f60718293a4b5c6d7e8f90")

export const Pnl = {
  /** Staging tables, fresh for each rebuild: `<table>_staging` with the table's columns and engine. */
  // One entry per table, not one taking the table: the both-engine test runs entries in order, and the
  // later entries read both staging tables these create.
  resetMarketStaging: command({ name: "pnl.resetMarketStaging", sql: () => resetStaging("wallet_market_pnl"), example: [] }),
  createMarketStaging: command({ name: "pnl.createMarketStaging", sql: () => createStaging("wallet_market_pnl"), example: [] }),
  resetLeaderboardStaging: command({ name: "pnl.resetLeaderboardStaging", sql: () => resetStaging("wallet_leaderboard"), example: [] }),
  createLeaderboardStaging: command({ name: "pnl.createLeaderboardStaging", sql: () => createStaging("wallet_leaderboard"), example: [] }),
  tradeCount: query({
    name: "pnl.tradeCount",
    sql: () => `SELECT (SELECT count() FROM ${TABLES.clobFills}) + (SELECT count() FROM ${TABLES.externalTrades}) AS n`,
    rows: Schema.Struct({ n: N }),
    example: []
  }),
  resetTradesStaging: command({ name: "pnl.resetTradesStaging", sql: () => "DROP TABLE IF EXISTS pnl_trades_staging", example: [] }),
  createTradesStaging: command({
    name: "pnl.createTradesStaging",
    sql: () =>
      "CREATE TABLE pnl_trades_staging (bucket UInt32, wallet String, token_id String, condition_id String, side String, size Float64, usdc Float64, " +
      "fee_shares Float64, fee_usdc Float64, ts UInt32, block_number UInt64, log_index Int32, trade_id String) " +
      "ENGINE = MergeTree ORDER BY (bucket, wallet, token_id, ts, block_number, log_index, trade_id)",
    example: []
  }),
  /**
   * Every wallet's trades once, sorted the rebuild's way and cut into buckets of wallets, so each bucket
   * is one range of the sort key (one scan of the inputs in all): their own CLOB fill rows (each leg is
   * one wallet's, the taker leg the taker's), plus Data-API trades of tokens Gamma does not list (ghost
   * markets), so no trade counts twice.
   */
  fillTradesStaging: command({
    name: "pnl.fillTradesStaging",
    sql: (buckets: number) =>
      `INSERT INTO pnl_trades_staging SELECT toUInt32(cityHash64(wallet) % ${quote(buckets)}) AS bucket, wallet, token_id, condition_id, side, size, usdc, ` +
      "fee_shares, fee_usdc, ts, block_number, log_index, trade_id FROM (" +
      "SELECT wallet, token_id, condition_id, side, size, usdc, fee_shares, fee_usdc, toUInt32(timestamp) AS ts, block_number, log_index, fill_id AS trade_id " +
      `FROM ${TABLES.clobFills} FINAL ` +
      "UNION ALL " +
      "SELECT wallet, token_id, condition_id, side, size, usdc, toFloat64(0) AS fee_shares, toFloat64(0) AS fee_usdc, toUInt32(timestamp) AS ts, " +
      "toUInt64(0) AS block_number, toInt32(-1) AS log_index, external_trade_id AS trade_id " +
      `FROM ${TABLES.externalTrades} FINAL WHERE token_id NOT IN (SELECT token_id FROM ${TABLES.marketTokens}))`,
    example: [4]
  }),
  /** One bucket, in the documented order: time, then block and log index where the source gives one, else the trade's id. */
  trades: query({
    name: "pnl.trades",
    sql: (bucket: number) =>
      "SELECT wallet, token_id, condition_id, side, size, usdc, fee_shares, fee_usdc FROM pnl_trades_staging " +
      `WHERE bucket = ${quote(bucket)} ORDER BY wallet, token_id, ts, block_number, log_index, trade_id`,
    rows: PnlTradeRow,
    example: [0]
  }),
  onchainPayouts: query({
    name: "pnl.onchainPayouts",
    sql: () =>
      "SELECT condition_id, arrayMap(x -> toFloat64(x), payout_numerators) AS numerators, toFloat64(payout_denominator) AS denominator " +
      `FROM ${TABLES.marketResolutions} FINAL`,
    rows: Schema.Struct({ condition_id: Schema.String, numerators: Schema.Array(N), denominator: N }),
    example: []
  }),
  gammaPayouts: query({
    name: "pnl.gammaPayouts",
    sql: () => `SELECT condition_id, resolution_status, outcome_prices FROM ${TABLES.markets} FINAL WHERE resolution_status = 'resolved'`,
    rows: Schema.Struct({ condition_id: Schema.String, resolution_status: Schema.String, outcome_prices: Schema.Array(N) }),
    example: []
  }),
  tokens: query({
    name: "pnl.tokens",
    sql: () => `SELECT token_id, condition_id, outcome_index FROM ${TABLES.marketTokens} FINAL`,
    rows: Schema.Struct({ token_id: Schema.String, condition_id: Schema.String, outcome_index: N }),
    example: []
  }),
  summarize: command({
    name: "pnl.summarize",
    sql: (updatedAt: number) =>
      `INSERT INTO ${staging("wallet_leaderboard")} SELECT wallet, sum(realized_pnl) AS pnl, toUInt32(count()) AS markets, ` +
      "toUInt32(countIf(resolved = 1)) AS resolved_markets, toUInt32(countIf(resolved = 1 AND realized_pnl > 0)) AS wins, " +
      "if(resolved_markets = 0, 0, wins / resolved_markets) AS win_rate, sumIf(realized_pnl, resolved = 1 AND realized_pnl > 0) AS gains, " +
      "-sumIf(realized_pnl, resolved = 1 AND realized_pnl < 0) AS losses, sum(volume) AS volume, sum(fee_value) AS fees, " +
      `toDateTime(${quote(updatedAt)}) AS updated_at FROM ${staging("wallet_market_pnl")} GROUP BY wallet`,
    example: [1764720000]
  }),
  // ---- the gate ----
  duplicateFills: query({
    name: "pnl.gate.duplicateFills",
    sql: () =>
      `SELECT fill_id AS key, toUInt64(count()) AS n FROM ${TABLES.clobFills} FINAL GROUP BY fill_id HAVING count() > 1 ORDER BY n DESC, key LIMIT 11`,
    rows: Schema.Struct({ key: Schema.String, n: N }),
    example: []
  }),
  notOneHot: query({
    name: "pnl.gate.notOneHot",
    sql: () =>
      "SELECT condition_id, arrayStringConcat(arrayMap(x -> toString(x), payout_numerators), ',') AS payouts FROM (" +
      `SELECT condition_id, payout_numerators FROM ${TABLES.marketResolutions} FINAL WHERE length(payout_numerators) = 2 ` +
      "AND NOT (arrayCount(x -> x > 0, payout_numerators) = 1 OR (payout_numerators[1] > 0 AND payout_numerators[1] = payout_numerators[2]))" +
      ") ORDER BY condition_id LIMIT 11",
    rows: Schema.Struct({ condition_id: Schema.String, payouts: Schema.String }),
    example: []
  }),
  gammaNotOneHot: query({
    name: "pnl.gate.gammaNotOneHot",
    sql: () =>
      "SELECT condition_id, arrayStringConcat(arrayMap(x -> toString(x), outcome_prices), ',') AS payouts FROM (" +
      `SELECT condition_id, outcome_prices FROM ${TABLES.markets} FINAL WHERE resolution_status = 'resolved' AND length(outcome_prices) = 2 ` +
      `AND condition_id NOT IN (SELECT condition_id FROM ${TABLES.marketResolutions}) ` +
      "AND NOT (arraySort(outcome_prices) = [0, 1] OR outcome_prices = [0.5, 0.5])" +
      ") ORDER BY condition_id LIMIT 11",
    rows: Schema.Struct({ condition_id: Schema.String, payouts: Schema.String }),
    example: []
  }),
  /**
   * The direction check over fills whose transaction has ERC-1155 and collateral transfers loaded: a BUY
   * brings the wallet tokens of the fill's token and takes collateral; a SELL the reverse.
   */
  directionOffenders: query({
    name: "pnl.gate.directionOffenders",
    sql: () => `SELECT * FROM (${DIRECTION_ROWS}) WHERE NOT (${AGREES}) ORDER BY usdc DESC, fill_id LIMIT 10`,
    rows: Schema.Struct({ fill_id: Schema.String, wallet: Schema.String, side: Schema.String, usdc: N, token_net: N, collateral_net: N }),
    example: []
  }),
  directionShare: query({
    name: "pnl.gate.directionShare",
    sql: () => `SELECT sum(usdc) AS volume, sumIf(usdc, ${AGREES}) AS agreeing, toUInt64(count()) AS fills FROM (${DIRECTION_ROWS})`,
    rows: Schema.Struct({ volume: N, agreeing: N, fills: N }),
    example: []
  }),
  /** Per resolved market: P&L under `short` plus the fees paid, which is 0 when no fill is missing or doubled. */
  conservation: query({
    name: "pnl.gate.conservation",
    sql: () =>
      "SELECT condition_id, sum(pnl_short) AS pnl, sum(fee_value) AS fees, pnl + fees AS gap " +
      `FROM ${staging("wallet_market_pnl")} WHERE resolved = 1 GROUP BY condition_id` +
      " HAVING abs(gap) > 0.01 ORDER BY abs(gap) DESC, condition_id LIMIT 10",
    rows: Schema.Struct({ condition_id: Schema.String, pnl: N, fees: N, gap: N }),
    example: []
  }),
  conservationCount: query({
    name: "pnl.gate.conservationCount",
    sql: () =>
      "SELECT toUInt64(count()) AS markets, toUInt64(countIf(abs(gap) > 0.01)) AS failing FROM (" +
      `SELECT condition_id, sum(pnl_short) + sum(fee_value) AS gap FROM ${staging("wallet_market_pnl")} WHERE resolved = 1 GROUP BY condition_id)`,
    rows: Schema.Struct({ markets: N, failing: N }),
    example: []
  }),
  stagedTotals: query({
    name: "pnl.stagedTotals",
    sql: () => `SELECT toUInt64(count()) AS wallets, sum(pnl) AS pnl, sum(volume) AS volume, sum(fees) AS fees FROM ${staging("wallet_leaderboard")}`,
    rows: Schema.Struct({ wallets: N, pnl: N, volume: N, fees: N }),
    example: []
  }),
  /** Wallets per win-rate decile (0: [0, 0.1) … 9: [0.9, 1]), -1 for those without a resolved market. */
  stagedDeciles: query({
    name: "pnl.stagedDeciles",
    sql: () =>
      "SELECT decile, toUInt64(count()) AS wallets FROM (" +
      `SELECT if(resolved_markets = 0, -1, toInt32(least(floor(win_rate * 10), 9))) AS decile FROM ${staging("wallet_leaderboard")}) GROUP BY decile ORDER BY decile`,
    rows: Schema.Struct({ decile: N, wallets: N }),
    example: []
  }),
  stagedMarkets: query({
    name: "pnl.stagedMarkets",
    sql: () =>
      "SELECT toUInt64(uniqExact(condition_id)) AS markets, toUInt64(uniqExactIf(condition_id, resolved = 1)) AS resolved, " +
      `toUInt64(sum(oversold_sells)) AS oversold_sells, sum(oversold_volume) AS oversold_volume FROM ${staging("wallet_market_pnl")}`,
    rows: Schema.Struct({ markets: N, resolved: N, oversold_sells: N, oversold_volume: N }),
    example: []
  }),
  /** The swap: every staged table in at once (readers see the old tables or the new, never half). */
  swap: command({
    name: "pnl.swap",
    sql: () =>
      "RENAME TABLE " +
      PNL_TABLES.map((t) => `${t} TO ${t}_old, ${staging(t)} TO ${t}`).join(", "),
    example: []
  }),
  dropOld: command({ name: "pnl.dropOld", sql: (table: PnlTable) => `DROP TABLE IF EXISTS ${table}_old`, example: ["wallet_market_pnl"] }),
  // ---- readers ----
  leaderboard: query({
    name: "pnl.leaderboard",
    sql: (metric: LeaderboardMetric, minMarkets: number, top: number) =>
      "SELECT wallet, pnl, markets, resolved_markets, wins, win_rate, gains, losses, volume, fees FROM wallet_leaderboard " +
      `WHERE resolved_markets >= ${quote(minMarkets)} ORDER BY ${METRIC_ORDER[metric]}, wallet LIMIT ${quote(top)}`,
    rows: LeaderboardRow,
    example: ["omega", 10, 50]
  }),
  walletMarkets: query({
    name: "pnl.walletMarkets",
    sql: (wallet: Address) =>
      "SELECT condition_id, question, realized_pnl, cost, proceeds, fees_usdc, fees_shares, payout, shares_left, resolved, trades, oversold_sells FROM (" +
      sql`SELECT * FROM wallet_market_pnl WHERE wallet = ${wallet}` +
      `) AS p ANY LEFT JOIN (SELECT condition_id, question FROM ${TABLES.markets} FINAL) AS m USING condition_id ORDER BY resolved DESC, condition_id`,
    rows: WalletMarketRow,
    example: [EXAMPLE_WALLET]
  })
}
