import { spawn } from "node:child_process"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Exit, Fiber, Layer, Schema } from "effect"
import { layerJobEnv } from "../../src/cli/jobLayers.js"
import { ALL_SHARDS } from "../../src/domain/units.js"
import { layerDryRunSink, layerReadOnlyUnits } from "../../src/layers/DryRun.js"
import { layerFixed } from "../../src/layers/GovernorFixed.js"
import { MIGRATIONS } from "../../src/layers/migrations/index.js"
import { layerSilent } from "../../src/layers/ProgressLive.js"
import { layerClickHouse as layerUnits } from "../../src/layers/UnitStoreClickHouse.js"
import { ClickHouse } from "../../src/services/ClickHouse.js"
import { Sources } from "../../src/services/Sources.js"
import { UnitStore } from "../../src/services/UnitStore.js"
import { marketTruths, simulatorSources, startSimulator } from "../../src/simulator/index.js"
import type { EngineOptions } from "../../src/streams/engine.js"
import { runJob } from "../../src/streams/engine.js"
import { findJob } from "../../src/streams/jobs/index.js"
import { migrate } from "../../src/streams/migrate.js"
import { cliArgv } from "../support/cliCommand.js"
import { planJob } from "../../src/streams/plan.js"
import { layerTestClickHouse, layerTestClickHouseOn, testEngines, testServerUrl } from "../support/clickhouse.js"
import { exactFillColumns, fillTruths, readFills, sameFillFloats } from "../support/fills.js"
import { layerRunOnSimulator } from "../support/runLayers.js"

const WORLD = { seed: 11, markets: 80, wallets: 40, from: "2026-04-21", to: "2026-05-03", fills: 3000 } as const
const markets = findJob("markets")!
const fills = findJob("fills")!

const engineOptions = (runId: string): EngineOptions => ({
  runId,
  workers: 8,
  sink: { batchSize: 500, flushInterval: Duration.millis(200) },
  checkpointInterval: 100,
  selection: { retryErrors: false, shard: ALL_SHARDS, skip: 0, limit: undefined, since: undefined, until: undefined },
  say: () => Effect.void
})

const N = Schema.Union(Schema.Number, Schema.NumberFromString)

/** Runs `polybackfill run fills` as a child process and SIGKILLs it once `killWhen` says so. */
const killedChildRun = (args: ReadonlyArray<string>, killWhen: Effect.Effect<boolean, unknown, ClickHouse>) =>
  Effect.gen(function* () {
    const child = spawn(process.execPath, cliArgv(args), {
      env: { ...process.env, CLICKHOUSE_URL: testServerUrl(), NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let output = ""
    child.stdout.on("data", (d) => (output += String(d)))
    child.stderr.on("data", (d) => (output += String(d)))
    const exited = new Promise<number | null>((res) => child.once("close", (code, signal) => res(signal === "SIGKILL" ? -9 : code)))
    for (let i = 0; i < 600; i++) {
      if (child.exitCode !== null) break
      if (yield* killWhen.pipe(Effect.orElseSucceed(() => false))) {
        child.kill("SIGKILL")
        break
      }
      yield* Effect.sleep("50 millis")
    }
    const code = yield* Effect.promise(() => exited)
    return { code, output }
  })

describe("engine end to end (simulator over HTTP, real ClickHouse)", () => {
  // On every engine CI has. The embedded engine lives in one process, so there the SIGKILLed child run
  // (a second process on the same ClickHouse) is left out: embedded refuses a second process by design.
  for (const engine of testEngines()) it.live(
    engine === "server"
      ? "markets then fills equal the ground truth; rerun and replan are harmless; a SIGKILLed and an interrupted run resume exactly"
      : "embedded: markets then fills equal the ground truth; rerun and replan are harmless; an interrupted run resumes exactly",
    () =>
      Effect.gen(function* () {
        const sim = yield* Effect.acquireRelease(
          Effect.promise(() => startSimulator({ world: WORLD, knobs: { latency: { gamma: { minMs: 0, maxMs: 0 }, data: { minMs: 0, maxMs: 0 }, rpc: { minMs: 0, maxMs: 0 }, goldsky: { minMs: 20, maxMs: 40 } } } })),
          (s) => Effect.promise(() => s.close())
        )
        const clickhouse = yield* ClickHouse
        yield* migrate(MIGRATIONS, () => Effect.void)
        const layers = layerRunOnSimulator(sim, clickhouse, 8)
        const count = (sql: string) => Effect.map(clickhouse.query(sql, Schema.Struct({ n: N })), (r) => r[0]?.n ?? 0)

        yield* Effect.gen(function* () {
          // markets
          yield* planJob(markets, { rebuild: false })
          const m = yield* runJob(markets, engineOptions("e2e-markets"))
          expect(m.errors).toBe(0)
          const truthMarkets = [...marketTruths(sim.world)]
          const ids = yield* clickhouse.query("SELECT condition_id, market_id FROM markets FINAL ORDER BY condition_id", Schema.Struct({ condition_id: Schema.String, market_id: Schema.String }))
          expect(ids).toEqual(truthMarkets.map((t) => ({ condition_id: t.market.condition_id, market_id: t.market.market_id })).sort((a, b) => (a.condition_id < b.condition_id ? -1 : 1)))
          expect(yield* count("SELECT count() AS n FROM market_tokens FINAL")).toBe(truthMarkets.reduce((n, t) => n + t.tokens.length, 0))

          // fills: interrupted in-process first, then resumed
          const planned = yield* planJob(fills, { rebuild: false })
          expect(planned.added).toBe(sim.world.marketCount)
          const first = yield* Effect.fork(runJob(fills, { ...engineOptions("e2e-interrupted"), workers: 2 }))
          for (let i = 0; i < 400 && (yield* count("SELECT count() AS n FROM backfill_units FINAL WHERE job = 'fills' AND status = 'done'")) < 10; i++) {
            yield* Effect.sleep("25 millis")
          }
          const stopped = yield* Fiber.interrupt(first)
          expect(Exit.isInterrupted(stopped)).toBe(true)
          const afterStop = yield* count("SELECT count() AS n FROM backfill_units FINAL WHERE job = 'fills' AND status = 'done'")
          expect(afterStop).toBeGreaterThan(0)
          expect(afterStop).toBeLessThan(sim.world.marketCount)
          expect(yield* count("SELECT count() AS n FROM backfill_units FINAL WHERE job = 'fills' AND status = 'in_progress'")).toBe(0)

          // then a child process, SIGKILLed in the middle
          let afterKill = afterStop
          if (engine === "server") {
          const killed = yield* killedChildRun(
            ["run", "fills", "--database", clickhouse.database, "--workers", "2", "--goldsky-url", sim.goldskyUrl, "--flush-interval", "200ms"],
            Effect.map(count("SELECT count() AS n FROM backfill_units FINAL WHERE job = 'fills' AND status = 'done'"), (n) => n >= afterStop + 10)
          )
          expect(killed.code, killed.output).toBe(-9)
          // An insert the child sent just before it died may still land: let ClickHouse settle.
          yield* Effect.sleep("1 second")
          afterKill = yield* count("SELECT count() AS n FROM backfill_units FINAL WHERE job = 'fills' AND status = 'done'")
          expect(afterKill).toBeLessThan(sim.world.marketCount)
          }

          const f = yield* runJob(fills, engineOptions("e2e-fills"))
          expect(f.errors).toBe(0)
          expect(f.selected).toBe(sim.world.marketCount - afterKill)

          const truth = fillTruths(sim.world)
          const rows = yield* readFills(clickhouse)
          expect(rows.length).toBe(truth.length)
          expect(rows.map(exactFillColumns)).toEqual(truth.map(exactFillColumns))
          // 18.16 parses decimal text into the neighbouring double at times (3.53 -> 3.5300000000000002).
          rows.forEach((r, i) => {
            expect(sameFillFloats(r, truth[i]!), r.fill_id).toBe(true)
          })
          expect(yield* count("SELECT count() AS n FROM clob_fills FINAL")).toBe(yield* count("SELECT uniqExact(fill_id) AS n FROM clob_fills"))

          // every market is done, zero-fill markets with zero rows, the others with their own count
          const units = yield* Effect.flatMap(UnitStore, (s) => s.load("fills"))
          expect(units.every((u) => u.status === "done")).toBe(true)
          const perMarket = new Map<string, number>()
          for (const t of truth) perMarket.set(t.condition_id, (perMarket.get(t.condition_id) ?? 0) + 1)
          expect(units.some((u) => !perMarket.has(u.unit_key))).toBe(true)
          // A replayed page counts its rows again, so a unit's count is at least its market's fills.
          for (const u of units) expect(u.rows).toBeGreaterThanOrEqual(perMarket.get(u.unit_key) ?? 0)

          // rerun: nothing to do; replan: keeps every done unit
          const again = yield* runJob(fills, engineOptions("e2e-again"))
          expect(again.selected).toBe(0)
          const replanned = yield* planJob(fills, { rebuild: false })
          expect(replanned).toMatchObject({ added: 0, kept: sim.world.marketCount })
          expect((yield* Effect.flatMap(UnitStore, (s) => s.load("fills"))).every((u) => u.status === "done")).toBe(true)
          expect((yield* readFills(clickhouse)).map(exactFillColumns)).toEqual(truth.map(exactFillColumns))
        }).pipe(Effect.provide(layers))
      }).pipe(Effect.scoped, Effect.provide(layerTestClickHouseOn(engine, "engine_e2e"))),
    120_000
  )

  it.live("--dry-run fetches and decodes, prints what it would insert, and writes nothing", () =>
    Effect.gen(function* () {
      const sim = yield* Effect.acquireRelease(Effect.promise(() => startSimulator({ world: { ...WORLD, markets: 30 } })), (s) => Effect.promise(() => s.close()))
      const clickhouse = yield* ClickHouse
      yield* migrate(MIGRATIONS, () => Effect.void)
      const count = (sql: string) => Effect.map(clickhouse.query(sql, Schema.Struct({ n: N })), (r) => r[0]?.n ?? 0)
      const env = layerJobEnv(Layer.succeed(Sources, simulatorSources(sim)), layerFixed(4))
      yield* planJob(markets, { rebuild: false }).pipe(Effect.provide(Layer.mergeAll(layerUnits, env)))
      const lines: Array<string> = []
      const dry = Layer.mergeAll(
        layerReadOnlyUnits.pipe(Layer.provide(layerUnits)),
        layerDryRunSink((line) => Effect.sync(() => void lines.push(line))),
        layerSilent,
        env
      )
      const summary = yield* runJob(markets, engineOptions("dry")).pipe(Effect.provide(dry))
      expect(summary.done).toBe(2)
      expect(summary.rows).toBeGreaterThan(30)
      expect(lines.some((l) => /^dry run: would insert \d+ rows into markets$/.test(l))).toBe(true)
      expect(lines.some((l) => l.startsWith("dry run: first market_tokens row: {"))).toBe(true)
      expect(yield* count("SELECT count() AS n FROM markets")).toBe(0)
      expect(yield* count("SELECT count() AS n FROM market_tokens")).toBe(0)
      expect(yield* count("SELECT count() AS n FROM backfill_units FINAL WHERE status != 'pending'")).toBe(0)
    }).pipe(Effect.scoped, Effect.provide(layerTestClickHouse("engine_dry"))))
})
