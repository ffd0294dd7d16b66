import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { Effect } from "effect"
import { newUnit } from "../../src/domain/units.js"
import { findServerBinary } from "../../src/layers/localClickHouseConfig.js"
import { makeFileStore } from "../../src/layers/UnitStoreFile.js"
import { runCli } from "../support/cli.js"

const dirs: Array<string> = []
const freshStateDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "polybackfill-status-"))
  dirs.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

/** Processes whose command line names `dir` (a server started for it would). */
const processesUsing = (dir: string) =>
  readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, "utf8").includes(dir)
      } catch {
        return false
      }
    })

const NOT_RUNNING = (stateDir: string) =>
  `polybackfill: the local ClickHouse under ${stateDir} is not running, and this command only reads, so it does not start one: ` +
  `start it with \`polybackfill clickhouse start --state-dir ${stateDir}\`, or set CLICKHOUSE_URL to a server of yours`

const withServer = findServerBinary() !== undefined

describe.runIf(withServer)("read-only commands never start the managed ClickHouse (spawned CLI, no CLICKHOUSE_URL)", () => {
  it("status and clickhouse status: say it is not running and how to start it, exit 1, and leave no server nor data dir", async () => {
    const stateDir = freshStateDir()
    const [status, chStatus] = await Promise.all([runCli(["status", "--state-dir", stateDir]), runCli(["clickhouse", "status", "--state-dir", stateDir])])
    expect(status.code).toBe(1)
    expect(status.stderr.trim().split("\n")).toEqual([NOT_RUNNING(stateDir)])
    expect(chStatus.code).toBe(1)
    expect(chStatus.stdout).toContain("status: not running")
    expect(chStatus.stderr.trim().split("\n")).toEqual([NOT_RUNNING(stateDir)])
    expect(existsSync(join(stateDir, "clickhouse"))).toBe(false)
    expect(processesUsing(stateDir)).toEqual([])
  })

  it("a plan kept in checkpoint files is shown when ClickHouse holds none (here: none runs), and POLYBACKFILL_CHECKPOINT=file reads it directly", async () => {
    const stateDir = freshStateDir()
    const dir = join(stateDir, "checkpoints", "polymarket")
    await Effect.runPromise(
      Effect.flatMap(makeFileStore(dir), (store) =>
        store.save([newUnit("markets", "open", "{}"), { ...newUnit("markets", "closed", "{}"), status: "done", rows: 60 }])
      )
    )
    const [fallback, byEnv] = await Promise.all([
      runCli(["status", "--state-dir", stateDir]),
      runCli(["status", "--state-dir", stateDir], { env: { POLYBACKFILL_CHECKPOINT: "file" } })
    ])
    expect(fallback.code, fallback.stderr).toBe(0)
    expect(fallback.stdout).toContain(`no units in ClickHouse; the plan below is kept in checkpoint files in ${dir} (--checkpoint file, or POLYBACKFILL_CHECKPOINT=file)`)
    expect(byEnv.code, byEnv.stderr).toBe(0)
    expect(byEnv.stdout).not.toContain("no units in ClickHouse")
    for (const out of [fallback.stdout, byEnv.stdout]) {
      expect(out).toContain("markets: 2 units, 60 rows")
      expect(out).toContain("progress: 1 of 2 units done (50.0%)")
    }
    expect(existsSync(join(stateDir, "clickhouse"))).toBe(false)
  })

  it("a command that starts the server says where, on which ports and how to stop it; clickhouse status shows the native port; status then reads it", async () => {
    const stateDir = freshStateDir()
    try {
      const migrate = await runCli(["migrate", "--state-dir", stateDir])
      expect(migrate.code, migrate.stderr).toBe(0)
      const started = migrate.stderr
        .split("\n")
        .find((l) => l.includes("started the local ClickHouse"))
      expect(started).toMatch(
        new RegExp(
          `started the local ClickHouse \\(pid \\d+, data in ${join(stateDir, "clickhouse", "data")}/?, HTTP port \\d+, native port (\\d+)\\); ` +
            `it keeps running after this command: stop it with \`polybackfill clickhouse stop --state-dir ${stateDir}\``
        )
      )
      const nativePort = /native port (\d+)/.exec(started!)![1]
      const chStatus = await runCli(["clickhouse", "status", "--state-dir", stateDir])
      expect(chStatus.code).toBe(0)
      expect(chStatus.stdout).toContain(`native: 127.0.0.1:${nativePort} (clickhouse-client --port ${nativePort})`)
      const status = await runCli(["status", "--state-dir", stateDir])
      expect(status.code, status.stderr).toBe(0)
      expect(status.stdout).toContain(`no units yet: run \`polybackfill plan <job> --state-dir ${stateDir}\``)
      expect(status.stderr).not.toContain("started the local ClickHouse")
    } finally {
      await runCli(["clickhouse", "stop", "--state-dir", stateDir])
    }
  }, 90_000)
})
