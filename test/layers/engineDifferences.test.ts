// Set before the embedded engine loads in this test process: without the pin of engineDifferences.ts,
// it would print and parse DateTime in this zone while the managed server uses UTC.
process.env["TZ"] = "America/New_York"

import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Schema } from "effect"
import { makeClickHouse } from "../../src/layers/ClickHouseLive.js"
import { embeddedConnection, openEmbedded } from "../../src/layers/EmbeddedClickHouse.js"
import { ClickHouse } from "../../src/services/ClickHouse.js"
import { embeddedStateDir, layerTestClickHouseOn, testConnection, testEngines } from "../support/clickhouse.js"

/** Each difference between the engines that src/layers/engineDifferences.ts settles, held to every engine. */
describe.each(testEngines())("engine differences, settled on the %s", (engine) => {
  it.live("64-bit integers come back quoted in JSON, so none loses digits", () =>
    Effect.gen(function* () {
      const clickhouse = yield* ClickHouse
      const rows = yield* clickhouse.query(
        "SELECT toUInt64('18446744073709551615') AS big, toInt64(-9007199254740993) AS negative, count() AS n FROM system.one",
        Schema.Struct({ big: Schema.String, negative: Schema.String, n: Schema.String })
      )
      expect(rows).toEqual([{ big: "18446744073709551615", negative: "-9007199254740993", n: "1" }])
    }).pipe(Effect.provide(layerTestClickHouseOn(engine, "diff_int64"))))

  it.live("DateTime is printed and parsed in UTC, whatever the process's TZ", () =>
    Effect.gen(function* () {
      const clickhouse = yield* ClickHouse
      const rows = yield* clickhouse.query(
        "SELECT toString(toDateTime(1700000000)) AS text, toUInt32(toDateTime('2023-11-14 22:13:20')) AS parsed, " +
          "toUInt32(parseDateTimeBestEffort('2023-11-14 22:13:20')) AS best_effort, toString(toDate(toDateTime(1700000000))) AS day",
        Schema.Struct({ text: Schema.String, parsed: Schema.Number, best_effort: Schema.Number, day: Schema.String })
      )
      expect(rows).toEqual([{ text: "2023-11-14 22:13:20", parsed: 1_700_000_000, best_effort: 1_700_000_000, day: "2023-11-14" }])
    }).pipe(Effect.provide(layerTestClickHouseOn(engine, "diff_datetime"))))

  it.live("Float64 from JSON text lands within 1e-12 of the decimal (18.16 at times on the neighbouring double; current releases exactly)", () =>
    Effect.gen(function* () {
      const clickhouse = yield* ClickHouse
      const values = [3.529784, 3.53, 0.1, 123456.789012, 1e-6]
      yield* clickhouse.command("CREATE TABLE f (i UInt8, x Float64) ENGINE = MergeTree ORDER BY i")
      yield* clickhouse.insert("f", values.map((x, i) => ({ i, x })))
      const rows = yield* clickhouse.query("SELECT x FROM f ORDER BY i", Schema.Struct({ x: Schema.Number }))
      rows.forEach((r, i) => expect(Math.abs(r.x - values[i]!)).toBeLessThanOrEqual(Math.abs(values[i]!) * 1e-12))
      if (engine === "embedded") expect(rows.map((r) => r.x)).toEqual(values)
    }).pipe(Effect.provide(layerTestClickHouseOn(engine, "diff_float"))))

  it.live("unqualified table names resolve in the configured database", () =>
    Effect.gen(function* () {
      const clickhouse = yield* ClickHouse
      yield* clickhouse.command("CREATE TABLE t (k UInt8) ENGINE = MergeTree ORDER BY k")
      yield* clickhouse.insert("t", [{ k: 7 }])
      const rows = yield* clickhouse.query(
        "SELECT currentDatabase() AS db, (SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 't') AS here, sum(k) AS k FROM t",
        Schema.Struct({ db: Schema.String, here: Schema.NumberFromString, k: Schema.NumberFromString })
      )
      expect(rows).toEqual([{ db: clickhouse.database, here: 1, k: 7 }])
    }).pipe(Effect.provide(layerTestClickHouseOn(engine, "diff_database"))))

  it.live("a missing database is one line saying to run migrate", () =>
    Effect.gen(function* () {
      const connection =
        engine === "server" ? testConnection("pbtest_no_such_db") : embeddedConnection(yield* openEmbedded(embeddedStateDir()), "pbtest_no_such_db")
      const exit = yield* Effect.exit(makeClickHouse(connection))
      expect(Exit.isFailure(exit)).toBe(true)
      const message = Exit.isFailure(exit) ? JSON.stringify(exit.cause) : ""
      expect(message).toContain('database \\"pbtest_no_such_db\\" does not exist')
      expect(message).toContain("run \\\"polybackfill migrate\\\"")
    }).pipe(Effect.scoped))
})
