import { expect, layer } from "@effect/vitest"
import { Effect, Schema } from "effect"
import type {
  BackfillUnitRow,
  ClobFillRow,
  Erc1155TransferRow,
  Erc20TransferRow,
  ExternalTradeRow,
  ChainDayRow,
  GovernorLimitRow,
  MarketResolutionRow,
  MarketRow,
  MarketTokenRow,
  QuarantineRow,
  WorkerHeartbeatRow
} from "../../src/domain/tables.js"
import { TABLES } from "../../src/domain/tables.js"
import { MIGRATIONS } from "../../src/layers/migrations/index.js"
import { ClickHouse } from "../../src/services/ClickHouse.js"
import type { Migration } from "../../src/streams/migrate.js"
import { appliedVersions, migrate } from "../../src/streams/migrate.js"
import { layerTestClickHouseOn, testEngines } from "../support/clickhouse.js"

const HASH = "0x" + "ef".repeat(32)
const ADDR = "0x" + "12".repeat(20)
const TOKEN = "71321045679252212594626385532706912750332728571942532289631379312455583992563"

// One full row per table, typed by the contract in src/domain/tables.ts: a column added there and not
// in a migration (or the reverse) fails the column check below.
const market: MarketRow = {
  condition_id: HASH, market_id: "12", question_id: HASH, question: "Will it?", slug: "will-it", event_slug: "it",
  outcomes: ["Yes", "No"], token_ids: [TOKEN, "1"], neg_risk: 0, active: 1, closed: 0, volume: 10.5, liquidity: 3,
  start_date: 1_700_000_000, end_date: 0, closed_time: 0, resolution_status: "", outcome_prices: [0.4, 0.6],
  resolved: 0, winning_outcome_index: -1, is_void: 0, updated_at: 1_700_000_000
}
const marketToken: MarketTokenRow = { token_id: TOKEN, condition_id: HASH, outcome_index: 0, outcome: "Yes", winner: 0, updated_at: 1_700_000_000 }
const clobFill: ClobFillRow = {
  fill_id: `${HASH}_${HASH}`, tx_hash: HASH, order_hash: HASH, log_index: -1, block_number: 0, timestamp: 1_700_000_000,
  exchange: "", era: "v1", maker: ADDR, taker: ADDR, maker_asset_id: "0", taker_asset_id: TOKEN,
  maker_amount_filled: "1000000", taker_amount_filled: "2000000", fee: "0", wallet: ADDR, side: "BUY", token_id: TOKEN,
  condition_id: HASH, outcome_index: 0, price: 0.5, size: 2, usdc: 1, is_taker_leg: 1, source: "goldsky", ingested_at: 1_700_000_000,
  fee_asset: "token", fee_shares: 0, fee_usdc: 0, builder: "", metadata: ""
}
const externalTrade: ExternalTradeRow = {
  external_trade_id: "ext-1", wallet: ADDR, side: "SELL", token_id: TOKEN, condition_id: HASH, outcome_index: 0, outcome: "Yes",
  price: 0.6, size: 5, usdc: 3, timestamp: 1_700_000_500, tx_hash: HASH, title: "Will it?", slug: "will-it", source: "data-api-v1",
  ingested_at: 1_700_000_600
}
const erc20: Erc20TransferRow = {
  tx_hash: HASH, log_index: 3, block_number: 50_000_000, timestamp: 1_700_000_000, token: ADDR, from_address: ADDR,
  to_address: ADDR, amount: "115792089237316195423570985008687907853269984665640564039457584007913129639935", ingested_at: 1_700_000_000
}
const erc1155: Erc1155TransferRow = {
  tx_hash: HASH, log_index: 4, batch_index: 1, block_number: 50_000_000, timestamp: 1_700_000_000, contract: ADDR, operator: ADDR,
  from_address: ADDR, to_address: ADDR, token_id: TOKEN, amount: "5000000", zero_value: 0, ingested_at: 1_700_000_000
}
const resolution: MarketResolutionRow = {
  condition_id: HASH, oracle: ADDR, question_id: HASH, outcome_slot_count: 2, payout_numerators: ["1", "0"], payout_denominator: "1",
  winning_outcome_index: 0, is_void: 0, resolved_at: 1_700_000_000, block_number: 50_000_000, tx_hash: HASH, log_index: 7, source: "rpc",
  updated_at: 1_700_000_000
}
const chainDay: ChainDayRow = { day: "2026-04-28", from_block: 84_902_353, to_block: 84_945_552, updated_at: 1_700_000_000 }
const rpcHealth = {
  job: "onchain", run_id: "r1", url: "https://polygon.example/v2/***", workers_limit: 16, in_flight: 2, requests: 100, share: 0.5,
  latency_ms: 80, failures: 1, set_aside: 0, updated_at: 1_700_000_000
}
const unit: BackfillUnitRow = {
  job: "fills", unit_key: HASH, shard_hash: 4_000_000_000, status: "pending", cursor: "", attempts: 0, rows: 0, error_message: "",
  run_id: "r1", last_run_at: 0, payload: "{}", version: 1_700_000_000_000
}
const heartbeat: WorkerHeartbeatRow = {
  job: "fills", run_id: "r1", host: "h", pid: 42, shard: "0/1", state: "finished", workers_limit: 8, in_flight: 3, units_in_flight: 2,
  units_done: 7, units_error: 1, rows: 1000, rows_per_sec: 12.5, rate_limited_share: 0.01, started_at: 1_700_000_000, updated_at: 1_700_000_060
}
const quarantined: QuarantineRow = { job: "fills", unit_key: HASH, source: "goldsky", reason: "bad", raw: "{\"x\":1}", run_id: "r1", created_at: 1_700_000_000 }
const limit: GovernorLimitRow = { host: "gamma-api.polymarket.com", endpoint: "", safe_limit: 12, updated_at: 1_700_000_000 }

const samples: ReadonlyArray<readonly [string, object]> = [
  [TABLES.markets, market],
  [TABLES.marketTokens, marketToken],
  [TABLES.clobFills, clobFill],
  [TABLES.externalTrades, externalTrade],
  [TABLES.erc20Transfers, erc20],
  [TABLES.erc1155Transfers, erc1155],
  [TABLES.backfillUnits, unit],
  [TABLES.workerHeartbeats, heartbeat],
  [TABLES.quarantine, quarantined],
  [TABLES.governorLimits, limit],
  [TABLES.marketResolutions, resolution],
  [TABLES.chainDays, chainDay],
  [TABLES.rpcHealth, rpcHealth]
]

const silent = () => Effect.void
const Column = Schema.Struct({ table: Schema.String, name: Schema.String })

// Every engine CI has (the embedded 26.x and the 18.16 server): the migrations, one insert per table, the view.
for (const engine of testEngines()) layer(layerTestClickHouseOn(engine, "migrate"))(`migrate on the ${engine}`, (it) => {
  it.effect("applies every migration once, records it, and a second run is a no-op", () =>
    Effect.gen(function* () {
      const lines: Array<string> = []
      const first = yield* migrate(MIGRATIONS, (line) => Effect.sync(() => lines.push(line)))
      expect(first.applied.map((m) => m.version)).toEqual(MIGRATIONS.map((m) => m.version))
      expect(lines).toEqual(MIGRATIONS.map((m) => `applied migration ${String(m.version).padStart(4, "0")} ${m.name}`))
      const names = first.tables.map((t) => t.name)
      for (const table of [...Object.values(TABLES), "pm_trades_with_external", "market_resolutions", "wallet_pnl"]) {
        expect(names).toContain(table)
      }
      expect(first.tables.find((t) => t.name === "pm_trades_with_external")?.engine).toBe("View")

      const second = yield* migrate(MIGRATIONS, silent)
      expect(second.applied).toEqual([])
      expect(second.tables).toEqual(first.tables)
      expect(yield* appliedVersions).toEqual(MIGRATIONS.map((m) => m.version))
    }))

  it.effect("a table dropped after its migration ran is created again by the next migrate, and reported", () =>
    Effect.gen(function* () {
      yield* migrate(MIGRATIONS, silent)
      const clickhouse = yield* ClickHouse
      yield* clickhouse.command(`DROP TABLE ${TABLES.clobFills}`)
      const lines: Array<string> = []
      const again = yield* migrate(MIGRATIONS, (line) => Effect.sync(() => lines.push(line)))
      expect(again.applied).toEqual([])
      expect(again.recreated).toEqual([TABLES.clobFills])
      expect(lines).toEqual([`recreated ${TABLES.clobFills}: it was missing although its migration had been applied`])
      expect(again.tables.map((t) => t.name)).toContain(TABLES.clobFills)
      // In its newest shape (0002's), not the first one.
      const feeAsset = yield* clickhouse.query(
        `SELECT name FROM system.columns WHERE database = currentDatabase() AND table = '${TABLES.clobFills}' AND name = 'fee_asset'`,
        Schema.Struct({ name: Schema.String })
      )
      expect(feeAsset).toHaveLength(1)
      expect((yield* migrate(MIGRATIONS, silent)).recreated).toEqual([])
    }))

  it.effect("every table has exactly the columns of its row type in src/domain/tables.ts", () =>
    Effect.gen(function* () {
      const clickhouse = yield* ClickHouse
      yield* migrate(MIGRATIONS, silent)
      // source_rank is MATERIALIZED: computed by ClickHouse, never sent.
      const columns = yield* clickhouse.query(
        "SELECT table, name FROM system.columns WHERE database = currentDatabase() AND default_kind != 'MATERIALIZED'",
        Column
      )
      for (const [table, row] of samples) {
        const actual = columns.filter((c) => c.table === table).map((c) => c.name).sort()
        expect({ table, columns: actual }).toEqual({ table, columns: Object.keys(row).sort() })
        yield* clickhouse.insert(table, [row as Record<string, unknown>])
      }
      const counts = yield* clickhouse.query(
        `SELECT count() AS n FROM ${TABLES.erc20Transfers} WHERE amount = '${erc20.amount}'`,
        Schema.Struct({ n: Schema.NumberFromString })
      )
      expect(counts).toEqual([{ n: 1 }])
    }))

  it.effect("the trades view shows CLOB fills and external trades in one shape, told apart by data_source; a CLOB market drops its external rows", () =>
    Effect.gen(function* () {
      const clickhouse = yield* ClickHouse
      yield* migrate(MIGRATIONS, silent)
      const ghost = { ...externalTrade, external_trade_id: "ext-2", condition_id: "0x" + "cd".repeat(32) }
      // A replayed page: the view reads FINAL, so the duplicate does not show.
      yield* clickhouse.insert(TABLES.clobFills, [clobFill as unknown as Record<string, unknown>])
      yield* clickhouse.insert(TABLES.externalTrades, [externalTrade as unknown as Record<string, unknown>, ghost as unknown as Record<string, unknown>])
      yield* clickhouse.insert(TABLES.externalTrades, [ghost as unknown as Record<string, unknown>])
      const rows = yield* clickhouse.query(
        "SELECT trade_id, wallet, wallet_address, side, price, is_taker_leg, data_source FROM pm_trades_with_external ORDER BY data_source",
        Schema.Struct({ trade_id: Schema.String, wallet: Schema.String, wallet_address: Schema.String, side: Schema.String, price: Schema.Number, is_taker_leg: Schema.Number, data_source: Schema.String })
      )
      // ext-1 is in the market the CLOB fill is in: the same trade seen twice, left out.
      expect(rows).toEqual([
        { trade_id: clobFill.fill_id, wallet: ADDR, wallet_address: ADDR, side: "BUY", price: 0.5, is_taker_leg: 1, data_source: "clob_fills" },
        { trade_id: "ext-2", wallet: ADDR, wallet_address: ADDR, side: "SELL", price: 0.6, is_taker_leg: 1, data_source: "polymarket_data_api" }
      ])
    }))

  it.effect("a later migration is applied on its own, and versions this build does not know are reported", () =>
    Effect.gen(function* () {
      const clickhouse = yield* ClickHouse
      yield* migrate(MIGRATIONS, silent)
      const next = MIGRATIONS.at(-1)!.version + 1
      const addColumn: Migration = {
        version: next,
        name: "test_add_column",
        statements: (db) => [`ALTER TABLE ${db}.quarantine ADD COLUMN test_note String DEFAULT ''`]
      }
      const upgraded = yield* migrate([...MIGRATIONS, addColumn], silent)
      expect(upgraded.applied).toEqual([{ version: next, name: "test_add_column" }])
      const note = yield* clickhouse.query(
        "SELECT name FROM system.columns WHERE database = currentDatabase() AND table = 'quarantine' AND name = 'test_note'",
        Schema.Struct({ name: Schema.String })
      )
      expect(note).toHaveLength(1)
      const older = yield* migrate(MIGRATIONS, silent)
      expect(older).toMatchObject({ applied: [], unknown: [next] })
    }).pipe(Effect.provide(layerTestClickHouseOn(engine, "upgrade"))))

  it.effect("0002 keeps the rows 0001's tables held: fills get their fee asset, transfers their zero mark", () =>
    Effect.gen(function* () {
      const clickhouse = yield* ClickHouse
      yield* migrate(MIGRATIONS.slice(0, 1), silent)
      const { fee_asset, fee_shares, fee_usdc, builder, metadata, ...oldFill } = clobFill
      const buy = { ...oldFill, fee: "20000" }
      const sell = { ...oldFill, fill_id: "sell", side: "SELL", maker_asset_id: TOKEN, taker_asset_id: "0", fee: "30000" }
      yield* clickhouse.insert(TABLES.clobFills, [buy, sell])
      const { zero_value, ...oldTransfer } = erc1155
      yield* clickhouse.insert(TABLES.erc1155Transfers, [oldTransfer, { ...oldTransfer, batch_index: 2, amount: "0" }])
      expect((yield* migrate(MIGRATIONS, silent)).applied.map((m) => m.version)).toEqual(MIGRATIONS.slice(1).map((m) => m.version))
      const fills = yield* clickhouse.query(
        `SELECT fill_id, fee_asset, fee_shares, fee_usdc, toString(fee) AS fee FROM ${TABLES.clobFills} FINAL ORDER BY fill_id`,
        Schema.Struct({ fill_id: Schema.String, fee_asset: Schema.String, fee_shares: Schema.Number, fee_usdc: Schema.Number, fee: Schema.String })
      )
      expect(fills).toEqual([
        { fill_id: clobFill.fill_id, fee_asset: "token", fee_shares: 0.02, fee_usdc: 0, fee: "20000" },
        { fill_id: "sell", fee_asset: "collateral", fee_shares: 0, fee_usdc: 0.03, fee: "30000" }
      ])
      const transfers = yield* clickhouse.query(
        `SELECT batch_index, zero_value FROM ${TABLES.erc1155Transfers} ORDER BY batch_index`,
        Schema.Struct({ batch_index: Schema.Number, zero_value: Schema.Number })
      )
      expect(transfers).toEqual([{ batch_index: 1, zero_value: 0 }, { batch_index: 2, zero_value: 1 }])
    }).pipe(Effect.provide(layerTestClickHouseOn(engine, "keep"))))

  it.effect("0003 gives earlier heartbeats an empty state and no errors, and a dropped worker_heartbeats comes back with both columns", () =>
    Effect.gen(function* () {
      const clickhouse = yield* ClickHouse
      yield* migrate(MIGRATIONS.slice(0, 2), silent)
      const { state, units_error, ...oldBeat } = heartbeat
      yield* clickhouse.insert(TABLES.workerHeartbeats, [oldBeat])
      expect((yield* migrate(MIGRATIONS, silent)).applied.map((m) => m.version)).toEqual(MIGRATIONS.slice(2).map((m) => m.version))
      const Beat = Schema.Struct({ run_id: Schema.String, state: Schema.String, units_error: Schema.NumberFromString })
      const read = clickhouse.query(`SELECT run_id, state, toString(units_error) AS units_error FROM ${TABLES.workerHeartbeats} FINAL`, Beat)
      expect(yield* read).toEqual([{ run_id: "r1", state: "", units_error: 0 }])
      yield* clickhouse.command(`DROP TABLE ${TABLES.workerHeartbeats}`)
      expect((yield* migrate(MIGRATIONS, silent)).recreated).toEqual([TABLES.workerHeartbeats])
      yield* clickhouse.insert(TABLES.workerHeartbeats, [{ ...heartbeat }])
      expect(yield* read).toEqual([{ run_id: "r1", state: "finished", units_error: 1 }])
    }).pipe(Effect.provide(layerTestClickHouseOn(engine, "endings"))))
})
