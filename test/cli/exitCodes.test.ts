import { spawn } from "node:child_process"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import type { Scope } from "effect"
import { Effect } from "effect"
import { startSimulator } from "../../src/simulator/index.js"
import type { ClickHouseApi } from "../../src/services/ClickHouse.js"
import { ClickHouse } from "../../src/services/ClickHouse.js"
import { layerClickHouse as layerUnitsClickHouse } from "../../src/layers/UnitStoreClickHouse.js"
import { MIGRATIONS } from "../../src/layers/migrations/index.js"
import { marketsJob } from "../../src/streams/jobs/markets.js"
import type { Job } from "../../src/streams/Job.js"
import { migrate } from "../../src/streams/migrate.js"
import { planJob } from "../../src/streams/plan.js"
import { testServerUrl } from "../support/clickhouse.js"
import { runCli } from "../support/cli.js"
import { spawnCli, waitWhileRunning } from "../drill/child.js"
import { drillWorld, goldskyLatency } from "../drill/common.js"
import { drillDatabaseName, fillUnits, openDatabase, prepareFills, statusLine } from "../drill/database.js"

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..")

const errorLines = (stderr: string) => stderr.split("\n").filter((l) => l.startsWith("polybackfill: "))

/** A simulator (its world: `markets` markets) and a database with its markets loaded and its fills planned. */
const plannedFills = (markets: number, knobs = {}) =>
  Effect.gen(function* () {
    const sim = yield* Effect.acquireRelease(
      Effect.promise(() => startSimulator({ world: drillWorld(7, markets, 5), knobs })),
      (s) => Effect.promise(() => s.close())
    )
    const clickhouse = yield* openDatabase(testServerUrl(), drillDatabaseName("exit"), { drop: true })
    yield* prepareFills(clickhouse, sim)
    return { sim, clickhouse }
  })

/** An HTTP server on a free port answering each request with `answer`, closed with the scope. */
const httpServer = (answer: (path: string, body: string) => { status: number; json: unknown } | "drop") =>
  Effect.acquireRelease(
    Effect.async<{ url: string; close: () => Promise<void> }>((resume) => {
      const server = createServer((req, res) => {
        let body = ""
        req.on("data", (d: Buffer) => (body += d.toString()))
        req.on("end", () => {
          const a = answer(req.url ?? "/", body)
          if (a === "drop") return void req.socket.destroy()
          res.writeHead(a.status, { "content-type": "application/json" }).end(JSON.stringify(a.json))
        })
      })
      server.listen(0, "127.0.0.1", () =>
        resume(
          Effect.succeed({
            url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
            close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()) })
          })
        )
      )
    }),
    (s) => Effect.promise(s.close)
  )

const run = <A, E>(body: Effect.Effect<A, E, Scope.Scope>) => Effect.runPromise(Effect.scoped(body))

const units = (clickhouse: ClickHouseApi) => Effect.map(fillUnits(clickhouse), statusLine)

describe("exit codes, in spawned processes", () => {
  it("2 for every usage error, ours and the parser's, each in one line naming the flag and what it expects", async () => {
    const cases: ReadonlyArray<readonly [ReadonlyArray<string>, RegExp]> = [
      [["--workers", "-3"], /^polybackfill: --workers must be a whole number of at least 1 or auto, got "-3"/],
      [["--shard", "5/3"], /^polybackfill: --shard 5\/3: i must be between 0 and N-1/],
      [["--since", "notadate"], /^polybackfill: --since must be a day like 2026-04-28, got "notadate"/],
      [["--limit", "-1"], /^polybackfill: --limit must be a whole number of at least 1, got -1/],
      [["--batch-size", "0"], /^polybackfill: --batch-size must be a whole number of at least 1, got 0/],
      [["--min-workers", "10", "--max-workers", "5"], /^polybackfill: --min-workers 10 is above --max-workers 5/]
    ]
    const results = await Promise.all(
      cases.map(([flags]) => runCli(["run", "fills", ...flags], { env: { CLICKHOUSE_URL: "http://127.0.0.1:1" } }))
    )
    results.forEach((r, i) => {
      expect(r.code, r.stderr).toBe(2)
      expect(errorLines(r.stderr)).toHaveLength(1)
      expect(errorLines(r.stderr)[0]).toMatch(cases[i]![1])
    })
    const parser = await runCli(["run", "fills", "--no-such-flag"])
    expect(parser.code).toBe(2)
  }, 60_000)

  it("--help states the exit codes", async () => {
    const help = await runCli(["run", "--help"])
    expect(help.code).toBe(0)
    expect(help.stdout.replace(/\s+/g, " ")).toContain("Exit codes: 0 every selected unit ended done; 1 a unit ended in error")
  }, 60_000)

  it("a Goldsky URL that refuses, or answers 404: exit 1 before any unit is claimed, one line naming the URL, the flag and the variable", () =>
    run(
      Effect.gen(function* () {
        const { sim, clickhouse } = yield* plannedFills(20)
        const before = yield* units(clickhouse)
        for (const url of ["http://127.0.0.1:1", `${sim.baseUrl}/not-a-subgraph`]) {
          const r = yield* Effect.promise(() => runCli(["run", "fills", "--database", clickhouse.database, "--goldsky-url", url], { env: { CLICKHOUSE_URL: testServerUrl() } }))
          expect(r.code, r.stderr).toBe(1)
          const lines = errorLines(r.stderr)
          expect(lines).toHaveLength(1)
          expect(lines[0]).toContain(`the Goldsky orderbook subgraph is not there: ${new URL(url).toString()}`)
          expect(lines[0]).toMatch(/check --goldsky-url \(env GOLDSKY_URL\)$/)
          expect(r.stderr).not.toMatch(/unit .* failed/)
          expect(yield* units(clickhouse)).toBe(before)
        }
        expect(before).toBe("pending 20")
      })
    ), 120_000)

  it("a Goldsky that answers the probe, then drops every connection: the run stops after 10 units, the rest stay pending, exit 1", () =>
    run(
      Effect.gen(function* () {
        const { clickhouse } = yield* plannedFills(30)
        const goldsky = yield* httpServer((_, body) =>
          body.includes("_meta") ? { status: 200, json: { data: { _meta: { block: { number: 1, timestamp: 1_775_000_000 } } } } } : "drop"
        )
        const args = ["run", "fills", "--database", clickhouse.database, "--goldsky-url", goldsky.url, "--max-attempts", "1", "--workers", "2"]
        const r = yield* Effect.promise(() => runCli(args, { env: { CLICKHOUSE_URL: testServerUrl() } }))
        expect(r.code, r.stderr).toBe(1)
        const lines = errorLines(r.stderr)
        expect(lines).toHaveLength(1)
        expect(lines[0]).toMatch(/^polybackfill: fills: stopped taking units: 10 units in a row could not reach their source, the last: http:\/\/127\.0\.0\.1:\d+\/: Transport error/)
        expect(lines[0]).toContain("20 units left pending")
        expect(yield* units(clickhouse)).toBe("error 10, pending 20")
      })
    ), 120_000)

  it("units in error: exit 1 and one line to retry them with the same flags, a dry run too; 0 once every unit is done", () =>
    run(
      Effect.gen(function* () {
        const sim = yield* Effect.acquireRelease(Effect.promise(() => startSimulator({ world: drillWorld(7, 10, 5) })), (s) => Effect.promise(() => s.close()))
        // Gamma that answers the probe (limit=1) and refuses every page after it.
        const gamma = yield* httpServer((path) => (path.includes("limit=1&") || path.endsWith("limit=1") ? { status: 200, json: { markets: [], next_cursor: null } } : { status: 403, json: { error: "forbidden" } }))
        const clickhouse = yield* openDatabase(testServerUrl(), drillDatabaseName("exit"), { drop: true })
        const database = clickhouse.database
        yield* migrate(MIGRATIONS, () => Effect.void).pipe(
          // Planning markets asks no source (its two units are fixed).
          Effect.zipRight(planJob(marketsJob as unknown as Job, { rebuild: false }).pipe(Effect.provide(layerUnitsClickHouse))),
          Effect.provideService(ClickHouse, clickhouse)
        )
        const env = { env: { CLICKHOUSE_URL: testServerUrl() } }
        const cli = (args: ReadonlyArray<string>) => Effect.promise(() => runCli(args, env))
        const dry = yield* cli(["run", "markets", "--database", database, "--gamma-url", gamma.url, "--dry-run"])
        expect(dry.code, dry.stderr).toBe(1)
        expect(errorLines(dry.stderr)).toEqual(["polybackfill: 2 of 2 units of markets failed in this dry run (nothing was marked)"])
        const failed = yield* cli(["run", "markets", "--database", database, "--gamma-url", gamma.url])
        expect(failed.code, failed.stderr).toBe(1)
        expect(failed.stdout).toContain("markets: 0 of 2 units done (2 errors)")
        expect(errorLines(failed.stderr)).toEqual([
          `polybackfill: 2 of 2 units of markets ended in error: retry them with \`polybackfill run markets --retry-errors --database ${database} --gamma-url ${gamma.url}/\` ` +
            `(details: \`polybackfill status markets --database ${database}\`)`
        ])
        const retried = yield* cli(["run", "markets", "--retry-errors", "--database", database, "--gamma-url", sim.gammaUrl])
        expect(retried.code, retried.stderr).toBe(0)
        expect(retried.stdout).toContain("markets: 2 of 2 units done,")
      })
    ), 120_000)

  it("Ctrl+C: the run stops gracefully and exits 130", () =>
    run(
      Effect.gen(function* () {
        const { sim, clickhouse } = yield* plannedFills(40, goldskyLatency(200, 300))
        const child = yield* spawnCli(["run", "fills", "--database", clickhouse.database, "--goldsky-url", sim.goldskyUrl, "--workers", "2"], testServerUrl())
        const state = yield* waitWhileRunning(child, Effect.map(units(clickhouse), (s) => s.includes("in_progress")), "60 seconds")
        expect(state).toBe("met")
        process.kill(child.pid, "SIGINT")
        const exit = yield* child.exit
        expect(exit.code, child.output()).toBe(130)
        expect(child.output()).toContain("Ctrl+C again to stop at once")
        expect(child.output()).toMatch(/stopped: \d+ of 40 units done in this run/)
        expect(yield* units(clickhouse)).not.toContain("in_progress")
      })
    ), 120_000)

  it("a second Ctrl+C during the shutdown exits 130 at once, saying what it leaves behind", async () => {
    const child = spawn(process.execPath, [join(ROOT, "node_modules", "vite-node", "vite-node.mjs"), "--root", ROOT, join(ROOT, "test", "cli", "forcedExitChild.ts")], {
      stdio: ["ignore", "pipe", "pipe"]
    })
    let output = ""
    const seen = (text: string) =>
      new Promise<void>((res) => {
        const check = () => (output.includes(text) ? res() : setTimeout(check, 20))
        check()
      })
    child.stdout.setEncoding("utf8").on("data", (d: string) => (output += d))
    child.stderr.setEncoding("utf8").on("data", (d: string) => (output += d))
    const closed = new Promise<number | null>((res) => child.once("close", (code) => res(code)))
    await seen("ready")
    child.kill("SIGINT")
    await seen("Ctrl+C again to stop at once")
    child.kill("SIGINT")
    expect(await closed).toBe(130)
    expect(output).toContain("polybackfill: second Ctrl+C: stopped at once; 3 units of fills stay in_progress under run r1")
  }, 60_000)
})
