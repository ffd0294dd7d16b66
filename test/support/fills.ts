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


/** The columns that are doubles: 18.16 parses decimal text into the neighbouring double at times (3.53 -> 3.5300000000000002). */
export const FILL_FLOATS = ["price", "size", "usdc", "fee_shares", "fee_usdc"] as const
type Floats = Record<(typeof FILL_FLOATS)[number], number>

/** A fill without its doubles, to compare exactly. */
export const exactFillColumns = <T extends Floats>(row: T): Omit<T, (typeof FILL_FLOATS)[number]> => {
  const { price: _p, size: _s, usdc: _u, fee_shares: _fs, fee_usdc: _fu, ...rest } = row
  return rest
}

/** The doubles of a fill equal the truth's within 1e-12 of their size. */
export const floatsClose = (row: Floats, truth: Floats): boolean =>
  FILL_FLOATS.every((k) => Math.abs(row[k] - truth[k]) <= Math.abs(truth[k]) * 1e-12)
