import { Clock, Effect, Schema } from "effect"
import type { ClickHouseError } from "../domain/errors.js"
import { Identifier } from "../domain/ids.js"
import { ident } from "../domain/sql.js"
import { Catalogue } from "../domain/statements.js"
import { TABLES } from "../domain/tables.js"
import { ClickHouse } from "../services/ClickHouse.js"

/**
 * One schema change. Applied once per database, in version order, and recorded in
 * `schema_migrations` only after every statement succeeded; statements must therefore be idempotent
 * (IF NOT EXISTS / IF EXISTS) so a migration interrupted halfway simply runs again.
 */
export interface Migration {
  readonly version: number
  readonly name: string
  /** `db` is the quoted database identifier, e.g. "`polymarket`". */
  readonly statements: (db: string) => ReadonlyArray<string>
}

export interface MigrateResult {
  readonly applied: ReadonlyArray<{ readonly version: number; readonly name: string }>
  /** Tables of applied migrations that were missing and were created again. */
  readonly recreated: ReadonlyArray<string>
  /** Versions recorded in the database that this build does not know (a newer polybackfill ran here). */
  readonly unknown: ReadonlyArray<number>
  readonly tables: ReadonlyArray<{ readonly name: string; readonly engine: string }>
}


const migrationsTable = (db: string) => `${db}.${TABLES.schemaMigrations}`

export const createMigrationsTable = (db: string): string =>
  `CREATE TABLE IF NOT EXISTS ${migrationsTable(db)} (version UInt32, name String, applied_at DateTime) ENGINE = MergeTree ORDER BY version`

const CREATE_IF_MISSING = /^\s*CREATE\s+(?:TABLE|VIEW)\s+IF\s+NOT\s+EXISTS\s+(\S+)/i

/** The newest CREATE ... IF NOT EXISTS of each table among the given migrations: a rebuilt table comes back in its latest shape. */
export const latestCreates = (migrations: ReadonlyArray<Migration>, db: string): ReadonlyArray<string> => {
  const byTable = new Map<string, string>()
  for (const migration of migrations) {
    for (const statement of migration.statements(db)) {
      const table = CREATE_IF_MISSING.exec(statement)?.[1]
      if (table !== undefined) byTable.set(table, statement)
    }
  }
  return [...byTable.values()]
}

const checkOrder = (migrations: ReadonlyArray<Migration>) =>
  migrations.every((m, i) => Number.isSafeInteger(m.version) && m.version > 0 && (i === 0 || m.version > migrations[i - 1]!.version))

/** Versions already applied to the configured database. */
export const appliedVersions: Effect.Effect<ReadonlyArray<number>, ClickHouseError, ClickHouse> = Effect.gen(function* () {
  const clickhouse = yield* ClickHouse
  const rows = yield* clickhouse.query(Catalogue.appliedVersions.sql(), Catalogue.appliedVersions.rows)
  return rows.map((r) => r.version)
})

/** The tables and views of the configured database, by name. */
export const listTables: Effect.Effect<ReadonlyArray<{ name: string; engine: string }>, ClickHouseError, ClickHouse> =
  Effect.flatMap(ClickHouse, (clickhouse) =>
    clickhouse.query(Catalogue.tables.sql(), Catalogue.tables.rows)
  )

/**
 * Applies the pending migrations to the database the ClickHouse port is configured with. Running it
 * again applies nothing. `report` hears one line per applied migration as it lands.
 */
export const migrate = (
  migrations: ReadonlyArray<Migration>,
  report: (line: string) => Effect.Effect<void> = Effect.logInfo
): Effect.Effect<MigrateResult, ClickHouseError, ClickHouse> =>
  Effect.gen(function* () {
    if (!checkOrder(migrations)) return yield* Effect.dieMessage("migrations must have distinct, increasing, positive versions")
    const clickhouse = yield* ClickHouse
    const db = ident(Schema.decodeSync(Identifier)(clickhouse.database))
    yield* clickhouse.command(Catalogue.createDatabase.sql(db))
    yield* clickhouse.command(createMigrationsTable(db))
    const done = new Set(yield* appliedVersions)
    // A table dropped after its migration ran comes back: the CREATE ... IF NOT EXISTS statements of
    // applied migrations run again (a no-op for every table that is there).
    const before = new Set((yield* listTables).map((t) => t.name))
    for (const statement of latestCreates(migrations.filter((m) => done.has(m.version)), db)) yield* clickhouse.command(statement)
    const recreated = (yield* listTables).map((t) => t.name).filter((name) => !before.has(name))
    for (const name of recreated) yield* report(`recreated ${name}: it was missing although its migration had been applied`)
    const applied: Array<{ version: number; name: string }> = []
    for (const migration of migrations) {
      if (done.has(migration.version)) continue
      for (const statement of migration.statements(db)) yield* clickhouse.command(statement)
      const now = yield* Clock.currentTimeMillis
      yield* clickhouse.insert(TABLES.schemaMigrations, [
        { version: migration.version, name: migration.name, applied_at: Math.floor(now / 1000) }
      ])
      applied.push({ version: migration.version, name: migration.name })
      yield* report(`applied migration ${String(migration.version).padStart(4, "0")} ${migration.name}`)
    }
    const known = new Set(migrations.map((m) => m.version))
    const tables = yield* listTables
    return { applied, recreated, unknown: [...done].filter((v) => !known.has(v)), tables }
  })
