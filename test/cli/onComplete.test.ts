import { mkdtempSync, readFileSync, existsSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { Effect } from "effect"
import { dropDatabase, freshDatabaseName, testServerUrl } from "../support/clickhouse.js"
import { runCli } from "../support/cli.js"
import { useSimulator } from "../simulator/support.js"

describe("run --on-complete", () => {
  const ctx = useSimulator({ world: { markets: 12, wallets: 5, from: "2026-04-27", to: "2026-04-28", fills: 60 } })

  it("runs the command once the job's last unit is done, with the summary in its environment, and not again on a rerun with nothing to do", async () => {
    const database = freshDatabaseName("oncomplete")
    const dir = mkdtempSync(join(tmpdir(), "on-complete-"))
    const out = join(dir, "hook.txt")
    const env = { CLICKHOUSE_URL: testServerUrl() }
    const hook = `echo "$POLYBACKFILL_JOB $POLYBACKFILL_UNITS_DONE/$POLYBACKFILL_UNITS_PLANNED $POLYBACKFILL_ROWS" >> ${out}; exit 3`
    try {
      expect((await runCli(["migrate", "--database", database], { env })).code).toBe(0)
      expect((await runCli(["plan", "markets", "--database", database, "--gamma-url", ctx.sim.gammaUrl], { env })).code).toBe(0)
      const run = await runCli(["run", "markets", "--database", database, "--gamma-url", ctx.sim.gammaUrl, "--on-complete", hook, "--log-format", "logfmt"], { env })
      expect(run.code, run.stderr).toBe(0)
      // 12 markets and their 24 tokens, in the two units (open, closed).
      expect(readFileSync(out, "utf8")).toBe("markets 2/2 36\n")
      expect(run.stderr).toMatch(/on-complete: .* exited with code 3/)
      const again = await runCli(["run", "markets", "--database", database, "--gamma-url", ctx.sim.gammaUrl, "--on-complete", hook], { env })
      expect(again.code, again.stderr).toBe(0)
      expect(readFileSync(out, "utf8")).toBe("markets 2/2 36\n")
    } finally {
      if (existsSync(dir)) rmSync(dir, { recursive: true, force: true })
      await Effect.runPromise(dropDatabase(database))
    }
  }, 120_000)
})
