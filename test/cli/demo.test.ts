import { describe, expect, it } from "vitest"
import { Effect } from "effect"
import { execSync } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { dropDatabase, freshDatabaseName, testConnection, testEngines, testServerUrl } from "../support/clickhouse.js"
import { runCli } from "../support/cli.js"
import { EXAMPLE_QUERIES } from "../../src/domain/statements.js"
import { embeddedConnection, openEmbedded } from "../../src/layers/EmbeddedClickHouse.js"
import { makeClickHouse } from "../../src/layers/ClickHouseLive.js"
import { ClickHouse } from "../../src/services/ClickHouse.js"
import { DEMO_ARGS, expectExternalRowsMatchTruth, expectReportMatchesTruth, expectTopWalletMatchesTruth, fills as truth, ghostTruth } from "./demoTruth.js"

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..")

describe("polybackfill demo", () => {
  it("simulates, migrates, plans and runs every job, rebuilds P&L, and prints rows, coverage, the Data-API's ghost markets, the gate, the leaderboard and queries that run", async () => {
    const database = `${freshDatabaseName("cli")}_demo`
    const cwd = mkdtempSync(join(tmpdir(), "polybackfill-demo-server-"))
    try {
      const result = await runCli([...DEMO_ARGS, "--database", database], {
        env: { CLICKHOUSE_URL: testServerUrl() },
        cwd,
        timeoutMs: 90_000
      })
      expect(result.code, result.stderr).toBe(0)
      const out = result.stdout
      expect(out).toContain("markets: 2 of 2 units done")
      expect(out).toContain("fills: 60 of 60 units done")
      expect(out).toContain("onchain: 15 of 15 units done")
      // The demo's world: the same options give the same fills; the chain has every one, both eras.
      expect(out).toMatch(new RegExp(`clob_fills\\s+${truth.length.toLocaleString("en-US")}\\n`))
      expect(out).toMatch(/markets\s+60\n/)
      const traded = (era?: string) => new Set(truth.filter((t) => era === undefined || t.era === era).map((t) => t.condition_id)).size
      expect(out).toContain(`coverage: ${traded()} of 60 markets have fills`)
      expect(out).toContain(`${traded("v1")} traded before the 2026-04-28 switch (V1), ${traded("v2")} after it (V2); fills read from the chain ${truth.length.toLocaleString("en-US")}, from the subgraph only 0`)
      expect(out.match(/clickhouse-client --host \S+ --database \w+ --query/g)).toHaveLength(EXAMPLE_QUERIES.length)
      expectReportMatchesTruth(out, cwd)
      await expectTopWalletMatchesTruth(out, { CLICKHOUSE_URL: testServerUrl() })
      await Effect.runPromise(Effect.scoped(Effect.flatMap(makeClickHouse(testConnection(database)), (ch) => Effect.provideService(expectExternalRowsMatchTruth, ClickHouse, ch))))
      // The status command it prints reaches the demo's database, and shows every run as finished.
      const status = /see them with `polybackfill (status [^`]+)`/.exec(out)
      expect(status?.[1]).toBe(`status --database ${database}`)
      const shown = await runCli(status![1]!.split(" "), { env: { CLICKHOUSE_URL: testServerUrl() } })
      expect(shown.code, shown.stderr).toBe(0)
      expect(shown.stdout).toContain("fills: 60 units")
      expect(shown.stdout).toContain("progress: 60 of 60 units done (100%)")
      expect(shown.stdout).toMatch(/^ {4}\w+ finished · /m)
      expect(shown.stdout).not.toMatch(/ (running|crashed|interrupted|failed) · /)
    } finally {
      await Effect.runPromise(dropDatabase(database))
      rmSync(cwd, { recursive: true, force: true })
    }
  }, 120_000)

  // What `npm ci && npm run demo` does on a machine with Node alone (no server: the embedded engine).
  it.runIf(testEngines().includes("embedded"))("runs on the embedded engine with the same trades, ghost markets, gate and leaderboard as the ledger, and the commands it prints run", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "polybackfill-demo-embedded-"))
    try {
      const result = await runCli([...DEMO_ARGS, "--clickhouse-url", "embedded", "--state-dir", stateDir], { timeoutMs: 90_000 })
      expect(result.code, result.stderr).toBe(0)
      expect(result.stdout).toContain(`clickhouse: database polybackfill_demo at embedded:${stateDir}/embedded`)
      expect(result.stdout).toContain("fills: 60 of 60 units done")
      expect(result.stdout).toContain(
        `the demo's jobs and runs are in database polybackfill_demo: see them with \`polybackfill status --database polybackfill_demo --clickhouse-url embedded --state-dir ${stateDir}\``
      )
      expectReportMatchesTruth(result.stdout, stateDir)
      const commands = result.stdout.split("\n").filter((l) => l.trim().startsWith("node -e ")).map((l) => l.trim())
      expect(commands).toHaveLength(EXAMPLE_QUERIES.length)
      // The last one lists the ghost markets through pm_trades_with_external: the ledger's, by title.
      const ghosts = execSync(commands.at(-1)!, { cwd: ROOT, encoding: "utf8" })
      for (const title of new Set(ghostTruth.map((t) => t.title))) expect(ghosts).toContain(title)
      await expectTopWalletMatchesTruth(result.stdout, {})
      // Opened here once the CLI processes are gone: one engine per directory.
      await Effect.runPromise(
        Effect.scoped(
          Effect.gen(function* () {
            const engine = yield* openEmbedded(stateDir)
            const ch = yield* makeClickHouse(embeddedConnection(engine, "polybackfill_demo"))
            yield* Effect.provideService(expectExternalRowsMatchTruth, ClickHouse, ch)
          })
        )
      )
    } finally {
      rmSync(stateDir, { recursive: true, force: true })
    }
  }, 120_000)

  it("refuses a database whose name does not end in _demo (it empties it)", async () => {
    const result = await runCli(["demo", "--database", "polymarket"], { env: { CLICKHOUSE_URL: testServerUrl() } })
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("choose a name ending in _demo")
  }, 60_000)
})
