import { describe, expect, it } from "vitest"
import { Effect } from "effect"
import { dropDatabase, freshDatabaseName, testServerUrl } from "../support/clickhouse.js"
import { runCli } from "../support/cli.js"
import { fillTruthsOfMarket, World, worldConfig } from "../../src/simulator/index.js"

describe("polybackfill demo", () => {
  it("simulates, migrates, plans and runs every job, and prints rows, coverage and three queries that run", async () => {
    const database = `${freshDatabaseName("cli")}_demo`
    try {
      const result = await runCli(["demo", "--markets", "60", "--wallets", "30", "--database", database], {
        env: { CLICKHOUSE_URL: testServerUrl() },
        timeoutMs: 90_000
      })
      expect(result.code, result.stderr).toBe(0)
      const out = result.stdout
      expect(out).toContain("markets: 2 of 2 units done")
      expect(out).toContain("fills: 60 of 60 units done")
      // The demo's world: the same options give the same fills the subgraph serves.
      const world = new World(worldConfig({ markets: 60, wallets: 30, from: "2026-04-21", to: "2026-05-05" }))
      let fills = 0
      for (let i = 0; i < world.marketCount; i++) fills += fillTruthsOfMarket(world, i, "goldsky").length
      expect(out).toMatch(new RegExp(`clob_fills\\s+${fills.toLocaleString("en-US")}\\n`))
      expect(out).toMatch(/markets\s+60\n/)
      expect(out).toContain("coverage:")
      expect(out.match(/clickhouse-client --host \S+ --database \w+ --query/g)).toHaveLength(3)
    } finally {
      await Effect.runPromise(dropDatabase(database))
    }
  }, 120_000)

  it("refuses a database whose name does not end in _demo (it empties it)", async () => {
    const result = await runCli(["demo", "--database", "polymarket"], { env: { CLICKHOUSE_URL: testServerUrl() } })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain("choose a name ending in _demo")
  }, 60_000)
})
