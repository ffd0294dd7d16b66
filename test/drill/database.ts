import { randomBytes } from "node:crypto"
import type { Scope } from "effect"
import { Duration, Effect, Redacted, Schedule, Schema } from "effect"
import type { ClickHouseError } from "../../src/domain/errors.js"
import { ALL_SHARDS } from "../../src/domain/units.js"
import type { ClickHouseConnection } from "../../src/layers/ClickHouseLive.js"
import { makeClickHouse } from "../../src/layers/ClickHouseLive.js"
import { MIGRATIONS } from "../../src/layers/migrations/index.js"
import type { ClickHouseApi } from "../../src/services/ClickHouse.js"
import { ClickHouse } from "../../src/services/ClickHouse.js"
import type { SimulatorHandle } from "../../src/simulator/index.js"
import { runJob } from "../../src/streams/engine.js"
import { findJob } from "../../src/streams/jobs/index.js"
import { migrate } from "../../src/streams/migrate.js"
import { planJob } from "../../src/streams/plan.js"
import { layerRunOnSimulator } from "../support/runLayers.js"

/** A server URL (credentials in it, or CLICKHOUSE_USER/PASSWORD) as a connection to `database`. */
export const connectionOf = (serverUrl: string, database: string): ClickHouseConnection => {
  const url = new URL(serverUrl)
  const username = url.username !== "" ? decodeURIComponent(url.username) : process.env["CLICKHOUSE_USER"] ?? "default"
  const password = url.password !== "" ? decodeURIComponent(url.password) : process.env["CLICKHOUSE_PASSWORD"] ?? ""
  url.username = ""
  url.password = ""
  return { url: url.toString().replace(/\/$/, ""), username, password: Redacted.make(password), database }
}

export const drillDatabaseName = (label: string): string => `drill_${label}_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`

/** A client of `database` (created when missing); `drop` also drops the database when the scope closes. */
export const openDatabase = (
  serverUrl: string,
  database: string,
  options: { readonly drop: boolean }
): Effect.Effect<ClickHouseApi, ClickHouseError, Scope.Scope> =>
  Effect.gen(function* () {
    const clickhouse = yield* makeClickHouse(connectionOf(serverUrl, database), { createDatabase: true })
    if (options.drop) yield* Effect.addFinalizer(() => clickhouse.command(`DROP DATABASE IF EXISTS \`${database}\``).pipe(Effect.ignore))
    return clickhouse
  })

/** Retries what a restarting server answers (refused connections, closed sockets) for up to ~30 s. */
export const whileUnreachable = <A, R>(self: Effect.Effect<A, ClickHouseError, R>) =>
  self.pipe(
    Effect.retry(
      Schedule.spaced("500 millis").pipe(
        Schedule.intersect(Schedule.recurs(60)),
        Schedule.whileInput((e: ClickHouseError) => e.reason === "Unreachable" || e.reason === "Timeout")
      )
    )
  )

const N = Schema.Union(Schema.Number, Schema.NumberFromString)

export const count = (clickhouse: ClickHouseApi, sql: string): Effect.Effect<number, ClickHouseError> =>
  Effect.map(clickhouse.query(sql, Schema.Struct({ n: N })), (r) => r[0]?.n ?? 0)

export const doneUnits = (clickhouse: ClickHouseApi) =>
  count(clickhouse, "SELECT count() AS n FROM backfill_units FINAL WHERE job = 'fills' AND status = 'done'")

const UnitRow = Schema.Struct({ unit_key: Schema.String, status: Schema.String, cursor: Schema.String, rows: N, attempts: N, run_id: Schema.String })
export type UnitRow = typeof UnitRow.Type

export const fillUnits = (clickhouse: ClickHouseApi): Effect.Effect<ReadonlyArray<UnitRow>, ClickHouseError> =>
  clickhouse.query("SELECT unit_key, status, cursor, rows, attempts, run_id FROM backfill_units FINAL WHERE job = 'fills' ORDER BY unit_key", UnitRow)

/** Rows by status, e.g. "done 120, in_progress 3". */
export const statusLine = (units: ReadonlyArray<UnitRow>): string => {
  const by = new Map<string, number>()
  for (const u of units) by.set(u.status, (by.get(u.status) ?? 0) + 1)
  return [...by].map(([s, n]) => `${s} ${n}`).join(", ")
}

export interface Duplicates {
  /** count() − uniqExact(fill_id) of the table as stored (replays not merged yet). */
  readonly beforeFinal: number
  /** The same under FINAL: what queries see. */
  readonly afterFinal: number
}

export const fillDuplicates = (clickhouse: ClickHouseApi): Effect.Effect<Duplicates, ClickHouseError> =>
  Effect.all({
    beforeFinal: count(clickhouse, "SELECT count() - uniqExact(fill_id) AS n FROM clob_fills"),
    afterFinal: count(clickhouse, "SELECT count() - uniqExact(fill_id) AS n FROM clob_fills FINAL")
  })

const markets = findJob("markets")!
const fills = findJob("fills")!

/**
 * The world's catalogue in ClickHouse and the fills units planned (all pending): migrate, plan and
 * run markets, plan fills, in this process against `sim` (the drill is about the fills runs that follow).
 */
export const prepareFills = (clickhouse: ClickHouseApi, sim: SimulatorHandle): Effect.Effect<number, unknown> => {
  const layers = layerRunOnSimulator(sim, clickhouse, 8)
  // The unit store checks for its table when built: migrate first, then build the layers.
  const planAndRun = Effect.gen(function* () {
    yield* planJob(markets, { rebuild: false })
    const run = yield* runJob(markets, {
      runId: "drill-markets",
      workers: 8,
      sink: { batchSize: 5000, flushInterval: Duration.millis(200) },
      checkpointInterval: 5000,
      selection: { retryErrors: false, shard: ALL_SHARDS, skip: 0, limit: undefined, since: undefined, until: undefined },
      say: () => Effect.void
    })
    if (run.errors > 0) return yield* Effect.fail(new Error(`markets run had ${run.errors} errors: ${run.lastErrors.map((e) => e.message).join("; ")}`))
    const planned = yield* planJob(fills, { rebuild: false })
    return planned.total
  }).pipe(Effect.provide(layers))
  return migrate(MIGRATIONS, () => Effect.void).pipe(Effect.provideService(ClickHouse, clickhouse), Effect.zipRight(planAndRun))
}
