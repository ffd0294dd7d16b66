import type { Effect } from "effect"
import { Schema } from "effect"
import type { ClickHouseError } from "../../src/domain/errors.js"
import type { ClickHouseApi } from "../../src/services/ClickHouse.js"
import type { World } from "../../src/simulator/index.js"
import { fillTruthsOfMarket } from "../../src/simulator/index.js"

/** clob_fills as the tests read it back (FINAL, by fill id), and the simulator's truth to compare with. */
const N = Schema.Union(Schema.Number, Schema.NumberFromString)
export const FillRow = Schema.Struct({
  fill_id: Schema.String,
  tx_hash: Schema.String,
  order_hash: Schema.String,
  log_index: N,
  block_number: N,
  timestamp: N,
  exchange: Schema.String,
  era: Schema.String,
  maker: Schema.String,
  taker: Schema.String,
  maker_asset_id: Schema.String,
  taker_asset_id: Schema.String,
  maker_amount_filled: Schema.String,
  taker_amount_filled: Schema.String,
  fee: Schema.String,
  fee_asset: Schema.String,
  fee_shares: N,
  fee_usdc: N,
  builder: Schema.String,
  metadata: Schema.String,
  wallet: Schema.String,
  side: Schema.String,
  token_id: Schema.String,
  condition_id: Schema.String,
  outcome_index: N,
  price: N,
  size: N,
  usdc: N,
  is_taker_leg: N,
  source: Schema.String
})
export type FillRow = typeof FillRow.Type

const FILL_SQL =
  "SELECT fill_id, tx_hash, order_hash, log_index, block_number, toUInt32(timestamp) AS timestamp, exchange, era, maker, taker, " +
  "maker_asset_id, taker_asset_id, toString(maker_amount_filled) AS maker_amount_filled, toString(taker_amount_filled) AS taker_amount_filled, " +
  "toString(fee) AS fee, fee_asset, fee_shares, fee_usdc, builder, metadata, wallet, side, token_id, condition_id, outcome_index, price, size, usdc, is_taker_leg, source FROM clob_fills FINAL ORDER BY fill_id"

export const readFills = (clickhouse: ClickHouseApi): Effect.Effect<ReadonlyArray<FillRow>, ClickHouseError> => clickhouse.query(FILL_SQL, FillRow)

export type FillTruth = ReturnType<typeof fillTruthsOfMarket>[number]

/** Every fill the subgraph serves, by fill id. */
export const fillTruths = (world: World): ReadonlyArray<FillTruth> => {
  const all: Array<FillTruth> = []
  for (let i = 0; i < world.marketCount; i++) all.push(...fillTruthsOfMarket(world, i, "goldsky"))
  return all.sort((a, b) => (a.fill_id < b.fill_id ? -1 : 1))
}


/**
 * The Float64 columns of clob_fills. 18.16 parses decimal text in JSON into the neighbouring double at
 * times (3.529784 -> 3.5297840000000003); current releases parse it exactly. The one place the tests
 * allow for that engine difference: these columns compare within 1e-12, every other column exactly.
 */
export const FILL_FLOAT_COLUMNS = ["price", "size", "usdc", "fee_shares", "fee_usdc"] as const

/** A fill row without its Float64 columns (to compare exactly). */
export const exactFillColumns = <T extends Record<(typeof FILL_FLOAT_COLUMNS)[number], number>>(row: T): Omit<T, (typeof FILL_FLOAT_COLUMNS)[number]> => {
  const rest: Record<string, unknown> = { ...row }
  for (const k of FILL_FLOAT_COLUMNS) delete rest[k]
  return rest as Omit<T, (typeof FILL_FLOAT_COLUMNS)[number]>
}

/** The Float64 columns of `row` equal `truth`'s within 1e-12 (see FILL_FLOAT_COLUMNS). */
export const sameFillFloats = (row: Record<(typeof FILL_FLOAT_COLUMNS)[number], number>, truth: Record<(typeof FILL_FLOAT_COLUMNS)[number], number>): boolean =>
  FILL_FLOAT_COLUMNS.every((k) => Math.abs(row[k] - truth[k]) <= Math.abs(truth[k]) * 1e-12)
