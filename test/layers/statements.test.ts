import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { STATEMENTS } from "../../src/domain/statements.js"
import { MIGRATIONS } from "../../src/layers/migrations/index.js"
import { ClickHouse } from "../../src/services/ClickHouse.js"
import { migrate } from "../../src/streams/migrate.js"
import { ident } from "../../src/domain/sql.js"
import { Identifier } from "../../src/domain/ids.js"
import { layerTestClickHouseOn, testEngines } from "../support/clickhouse.js"

/**
 * Every migration (src/layers/migrations/index.ts) and every statement of src/domain/statements.ts,
 * on every engine CI has: the embedded 26.x engine and Debian's 18.16 server. A new migration or a
 * new entry of STATEMENTS is covered here without touching this file.
 */
describe.each(testEngines())("every SQL statement on the %s", (engine) => {
  it.live(`every migration applies, and each of its statements runs again as a no-op (${MIGRATIONS.length} migrations)`, () =>
    Effect.gen(function* () {
      const clickhouse = yield* ClickHouse
      const result = yield* migrate(MIGRATIONS, () => Effect.void)
      expect(result.applied.map((m) => m.version)).toEqual(MIGRATIONS.map((m) => m.version))
      const db = ident(Schema.decodeSync(Identifier)(clickhouse.database))
      const failures: Array<string> = []
      for (const migration of MIGRATIONS) {
        for (const statement of migration.statements(db)) {
          const exit = yield* Effect.exit(clickhouse.command(statement))
          if (exit._tag === "Failure") failures.push(`${migration.version} ${migration.name}: ${statement.slice(0, 80)}…: ${JSON.stringify(exit.cause)}`)
        }
      }
      expect(failures).toEqual([])
    }).pipe(Effect.provide(layerTestClickHouseOn(engine, "migrations"))), 60_000)

  it.live(`each of the ${STATEMENTS.length} statements runs on a migrated database and its rows decode`, () =>
    Effect.gen(function* () {
      const clickhouse = yield* ClickHouse
      yield* migrate(MIGRATIONS, () => Effect.void)
      const failures: Array<string> = []
      for (const statement of STATEMENTS) {
        const sql = statement.sql(...statement.example)
        const run = statement.rows === undefined ? clickhouse.command(sql) : clickhouse.query(sql, statement.rows)
        const exit = yield* Effect.exit(run)
        if (exit._tag === "Failure") failures.push(`${statement.name}: ${sql}: ${JSON.stringify(exit.cause)}`)
      }
      expect(failures).toEqual([])
      expect(new Set(STATEMENTS.map((s) => s.name)).size).toBe(STATEMENTS.length)
    }).pipe(Effect.provide(layerTestClickHouseOn(engine, "statements"))), 60_000)
})
