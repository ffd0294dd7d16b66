import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Command } from "@effect/cli"
import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect } from "effect"
import { resolveRunOptions, runOptions } from "../../src/cli/runOptions.js"
import { resolveTradesRun, tradesRunOptions } from "../../src/cli/tradesOptions.js"
import { parseWalletsFile } from "../../src/domain/walletsFile.js"
import { walletAddress } from "../../src/simulator/index.js"
import { dropDatabase, freshDatabaseName, testServerUrl } from "../support/clickhouse.js"
import { runCli } from "../support/cli.js"
import { useSimulator } from "../simulator/support.js"

/** `run`'s settings for `job` from `args` and `env`, trades knobs included, as the CLI resolves them. */
const runFor = (job: string, args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  Effect.gen(function* () {
    let captured: Effect.Effect.Success<ReturnType<typeof resolveTradesRun>> | undefined
    const cmd = Command.make("run", { ...runOptions, ...tradesRunOptions }, (v) =>
      Effect.map(Effect.flatMap(resolveRunOptions(v), (s) => resolveTradesRun(job, s, v)), (r) => void (captured = r))
    )
    yield* Command.run(cmd, { name: "t", version: "0" })(["node", "t", ...args]).pipe(
      Effect.provide(NodeContext.layer),
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))
    )
    return captured!
  })

describe("the runbook's knobs belong to trades alone", () => {
  it.effect("BACKFILL_SLEEP_MS and BACKFILL_LIMIT set trades' --sleep-ms and --limit, and leave fills and markets alone", () =>
    Effect.gen(function* () {
      const env = { BACKFILL_SLEEP_MS: "2000", BACKFILL_LIMIT: "100" }
      const trades = yield* runFor("trades", [], env)
      expect(trades.trades).toMatchObject({ sleepMs: 2000, api: "v1" })
      expect(trades.settings.selection.limit).toBe(100)
      expect(trades.settings.delayMs).toBe(0)
      for (const job of ["fills", "markets"]) {
        const other = yield* runFor(job, [], env)
        expect(other.trades).toEqual({})
        expect(other.settings.selection.limit).toBeUndefined()
        expect(other.settings.delayMs).toBe(0)
      }
      // Flags win; --since/--until become the requests' bounds, not a choice of (undated) wallets.
      const flagged = yield* runFor("trades", ["--limit", "7", "--sleep-ms", "5", "--api", "v2", "--since", "2026-04-01", "--until", "2026-05-01"], env)
      expect(flagged.settings.selection).toMatchObject({ limit: 7, since: undefined, until: undefined })
      expect(flagged.trades).toEqual({ sleepMs: 5, api: "v2", since: Date.UTC(2026, 3, 1) / 1000, until: Date.UTC(2026, 4, 1) / 1000 })
    }))

  it("a wallets file: comments and blank lines ignored, each bad line reported with its number and reason", () => {
    const good = "0x" + "Ab".repeat(20)
    const parsed = parseWalletsFile(`# top traders\n${good}  # the whale\n\n0x12345\nnot-an-address\n0x${"zz".repeat(20)}\n${good.toLowerCase()}\n`)
    expect(parsed.wallets).toEqual([good.toLowerCase()])
    expect(parsed.invalid).toEqual([
      { line: 4, text: "0x12345", reason: "an address has 40 hex digits after 0x, this one 5" },
      { line: 5, text: "not-an-address", reason: "an address starts with 0x" },
      { line: 6, text: `0x${"zz".repeat(20)}`, reason: "an address holds only hex digits 0-9 a-f after 0x" }
    ])
  })
})

describe("plan trades, reset and validate from the command line", () => {
  const ctx = useSimulator({ world: { markets: 12, wallets: 6, from: "2026-04-27", to: "2026-04-28", fills: 60 } })

  it("a malformed address is reported with its line and skipped, the valid ones are planned; validate prints each gate with its query's result", async () => {
    const database = freshDatabaseName("tradescli")
    const dir = mkdtempSync(join(tmpdir(), "trades-cli-"))
    const file = join(dir, "wallets.txt")
    const env = { CLICKHOUSE_URL: testServerUrl() }
    const a = walletAddress(ctx.sim.world, 0)
    const b = walletAddress(ctx.sim.world, 1)
    writeFileSync(file, `# wallets\n${a}\n0xdeadbeef\n${b}\n`)
    try {
      expect((await runCli(["migrate", "--database", database], { env })).code).toBe(0)
      const plan = await runCli(["plan", "trades", "--database", database, "--wallets-file", file], { env })
      expect(plan.code).toBe(1)
      expect(plan.stderr).toContain(`${file} line 3: "0xdeadbeef" skipped: an address has 40 hex digits after 0x, this one 8`)
      expect(plan.stderr).toContain(`1 line of ${file} skipped (listed above); every valid address was planned`)
      expect(plan.stdout).toContain("trades: 2 new units added, 0 kept as they were; 2 units in all")
      const report = join(dir, "coverage.md")
      const validate = await runCli(["validate", "--database", database, "--report", report], { env })
      expect(validate.code, validate.stderr).toBe(0)
      expect(validate.stdout).toContain("ok   no duplicate external_trade_id after FINAL: 0 ids on more than one row (0 rows)")
      expect(validate.stdout).toContain("ok   no day without trades in pm_trades_with_external: no trades in pm_trades_with_external")
      expect(validate.stdout).toContain(`coverage report written to ${report}`)
      expect(validate.stdout).toContain("all 4 checks passed")
      const markdown = readFileSync(report, "utf8")
      expect(markdown).toContain(`Database \`${database}\``)
      expect(markdown).toContain("| planned | done | error | in_progress | pending |\n| --- | --- | --- | --- | --- |\n| 2 | 0 | 0 | 0 | 2 |")
      expect(markdown).toContain("| clob_fills | 0 | 0 | 0 |")
      const days = await runCli(["validate", "--database", database, "--days", "0"], { env })
      expect(days.code).toBe(2)
      expect(days.stderr).toContain("--days 0: give a number of days, 1 or more")
    } finally {
      if (existsSync(dir)) rmSync(dir, { recursive: true, force: true })
      await Effect.runPromise(dropDatabase(database))
    }
  }, 120_000)
})
