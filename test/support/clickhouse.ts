import { randomBytes } from "node:crypto"
import { join } from "node:path"
import { Effect, Layer, Redacted } from "effect"
import { inject } from "vitest"
import type { ClickHouseError, LocalClickHouseError } from "../../src/domain/errors.js"
import { embeddedConnection, openEmbedded } from "../../src/layers/EmbeddedClickHouse.js"
import type { TestEngine } from "../globalSetup.js"
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

export type { TestEngine } from "../globalSetup.js"

/** The engines the both-engine tests run on (see test/globalSetup.ts). */
export const testEngines = (): ReadonlyArray<TestEngine> => inject("engines")

/**
 * This test process's state dir for the embedded engine: chdb runs one engine per process, so every
 * test of a file shares it (each in a database of its own), and a second process cannot open it.
 */
export const embeddedStateDir = (): string => join(inject("embeddedRoot"), `p${process.pid}`)

/** The ClickHouse port on a fresh database of `engine`, dropped when the layer is released. */
export const layerTestClickHouseOn = (engine: TestEngine, label: string): Layer.Layer<ClickHouse, ClickHouseError | LocalClickHouseError> =>
  engine === "server"
    ? layerTestClickHouse(label)
    : Layer.scoped(
        ClickHouse,
        Effect.gen(function* () {
          const database = freshDatabaseName(label)
          const engineHandle = yield* openEmbedded(embeddedStateDir())
          const clickhouse = yield* makeClickHouse(embeddedConnection(engineHandle, database), { createDatabase: true })
          yield* Effect.addFinalizer(() => clickhouse.command(`DROP DATABASE IF EXISTS \`${database}\``).pipe(Effect.ignore))
          return clickhouse
        })
      )
