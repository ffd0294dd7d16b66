import { Command } from "@effect/cli"
import { Console, Effect } from "effect"
import { ClickHouse } from "../services/ClickHouse.js"
import { MIGRATIONS } from "../layers/migrations/index.js"
import { migrate } from "../streams/migrate.js"
import { layerClickHouseFromOptions } from "./clickhouseLayer.js"
import { clickhouseOptions, logOptions, withLogging } from "./common.js"
import { suggestWith, withSuggestedFlags } from "./suggest.js"

export const migrateCommand = Command.make("migrate", { ...clickhouseOptions, ...logOptions }, (opts) =>
  Effect.gen(function* () {
    const clickhouse = yield* ClickHouse
    const result = yield* migrate(MIGRATIONS, Console.log)
    if (result.applied.length === 0) {
      yield* Console.log(`schema up to date (${MIGRATIONS.length} migration${MIGRATIONS.length === 1 ? "" : "s"} applied)`)
    }
    if (result.unknown.length > 0) {
      yield* Console.log(`note: the database has migrations this version does not know (${result.unknown.join(", ")}): a newer polybackfill migrated it`)
    }
    yield* Console.log(`database ${clickhouse.database} at ${clickhouse.displayUrl}: ${result.tables.length} tables and views`)
    const width = Math.max(...result.tables.map((t) => t.name.length))
    for (const table of result.tables) yield* Console.log(`  ${table.name.padEnd(width)}  ${table.engine}`)
  }).pipe(Effect.provide(layerClickHouseFromOptions(opts, { createDatabase: true })), withSuggestedFlags(suggestWith(opts)), withLogging(opts))
).pipe(Command.withDescription("Create or upgrade the database schema (versioned; running it again is a no-op)"))
