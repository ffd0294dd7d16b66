import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer, Logger, Option } from "effect"
import { layerClickHouseFromOptions } from "../../src/cli/clickhouseLayer.js"
import { ClickHouse } from "../../src/services/ClickHouse.js"
import { runCli } from "../support/cli.js"
import { embeddedStateDir, freshDatabaseName, testEngines } from "../support/clickhouse.js"

const NO_SERVER = { pathEnv: "", fixedDirs: [] }
const failureText = (exit: Exit.Exit<unknown, unknown>) => (Exit.isFailure(exit) ? JSON.stringify(exit.cause) : "")

// POLYBACKFILL_TEST_ENGINES=server (announced by the global setup) is the only way these do not run.
describe.runIf(testEngines().includes("embedded"))("the embedded ClickHouse", () => {
  const opts = (url: string | undefined) => ({
    clickhouseUrl: Option.fromNullable(url),
    database: Option.some(freshDatabaseName("embedded")),
    stateDir: embeddedStateDir()
  })

  it.live("with no URL and no server installed it is chosen, with one log line saying so and why", () =>
    Effect.gen(function* () {
      const lines: Array<string> = []
      const logger = Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => void lines.push(String(message))))
      const shown = yield* Effect.map(ClickHouse, (ch) => ch.displayUrl).pipe(
        Effect.provide(layerClickHouseFromOptions(opts(undefined), { createDatabase: true, serverSearch: NO_SERVER })),
        Effect.provide(logger)
      )
      expect(shown).toBe(`embedded:${embeddedStateDir()}/embedded`)
      expect(lines.filter((l) => l.startsWith("ClickHouse:"))).toEqual([
        'ClickHouse: the embedded engine (no ClickHouse server installed; install one with "polybackfill clickhouse install", or set CLICKHOUSE_URL)'
      ])
    }))

  it.live("--shard is refused on it with one line naming a server as the fix", () =>
    Effect.gen(function* () {
      for (const url of ["embedded", undefined]) {
        const exit = yield* Effect.exit(
          Layer.build(layerClickHouseFromOptions(opts(url), { needsServerFor: "--shard", serverSearch: NO_SERVER })).pipe(Effect.scoped)
        )
        expect(failureText(exit)).toContain("--shard needs a ClickHouse server that several processes share")
        expect(failureText(exit)).toContain("polybackfill clickhouse install")
      }
    }))

  it.live("a second process on the same state dir is refused with one line (the engine lives in one process)", () =>
    Effect.gen(function* () {
      // This process holds the engine open while the CLI, a second process, tries the same directory.
      yield* Layer.build(layerClickHouseFromOptions(opts("embedded"), { createDatabase: true }))
      const result = yield* Effect.promise(() => runCli(["status", "--clickhouse-url", "embedded", "--state-dir", embeddedStateDir()]))
      expect(result.code).toBe(1)
      const lines = result.stderr.trim().split("\n")
      expect(lines, result.stderr).toHaveLength(1)
      expect(lines[0]).toContain("is in use by another polybackfill process")
      expect(lines[0]).toContain("for two runs at once use a server")
    }).pipe(Effect.scoped), 60_000)

  it.live("clickhouse start and stop refuse with CLICKHOUSE_URL=embedded, naming the fix", () =>
    Effect.gen(function* () {
      const results = yield* Effect.promise(() =>
        Promise.all(["start", "stop"].map((verb) => runCli(["clickhouse", verb, "--state-dir", embeddedStateDir()], { env: { CLICKHOUSE_URL: "embedded" } })))
      )
      for (const [i, verb] of ["start", "stop"].entries()) {
        expect(results[i]!.code).toBe(1)
        expect(results[i]!.stderr).toContain(`there is nothing to ${verb}: unset CLICKHOUSE_URL to use the managed server`)
      }
    }), 60_000)
})
