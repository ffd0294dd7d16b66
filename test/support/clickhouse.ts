import { randomBytes } from "node:crypto"
import { Effect, Layer, Redacted } from "effect"
import { inject } from "vitest"
import type { ClickHouseError } from "../../src/domain/errors.js"
import type { ClickHouseConnection } from "../../src/layers/ClickHouseLive.js"
import { makeClickHouse } from "../../src/layers/ClickHouseLive.js"
import { ClickHouse } from "../../src/services/ClickHouse.js"

/** The test server's URL without credentials (they come from the URL or CLICKHOUSE_USER/PASSWORD). */
export const testConnection = (database: string): ClickHouseConnection => {
  const url = new URL(inject("clickhouseUrl"))
  const username = url.username !== "" ? decodeURIComponent(url.username) : process.env["CLICKHOUSE_USER"] ?? "default"
  const password = url.password !== "" ? decodeURIComponent(url.password) : process.env["CLICKHOUSE_PASSWORD"] ?? ""
  url.username = ""
  url.password = ""
  return { url: url.toString().replace(/\/$/, ""), username, password: Redacted.make(password), database }
}

/** The test server's base URL, safe to pass to a spawned CLI as CLICKHOUSE_URL. */
export const testServerUrl = (): string => inject("clickhouseUrl")

/** A database name no other test file (or concurrent run) uses. */
export const freshDatabaseName = (label: string): string =>
  `pbtest_${label.replace(/[^A-Za-z0-9_]/g, "_")}_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`

export const dropDatabase = (database: string): Effect.Effect<void> =>
  Effect.scoped(
    Effect.flatMap(makeClickHouse(testConnection("default")), (ch) => ch.command(`DROP DATABASE IF EXISTS \`${database}\``))
  ).pipe(Effect.ignore)

/** The ClickHouse port on a fresh, empty database of the test server, dropped when the layer is released. */
export const layerTestClickHouse = (label: string): Layer.Layer<ClickHouse, ClickHouseError> =>
  Layer.scoped(
    ClickHouse,
    Effect.gen(function* () {
      const database = freshDatabaseName(label)
      const clickhouse = yield* makeClickHouse(testConnection(database), { createDatabase: true })
      yield* Effect.addFinalizer(() => clickhouse.command(`DROP DATABASE IF EXISTS \`${database}\``).pipe(Effect.ignore))
      return clickhouse
    })
  )
