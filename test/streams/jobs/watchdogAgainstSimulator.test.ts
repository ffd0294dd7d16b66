import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer, Logger, Schema } from "effect"
import { ALL_SHARDS } from "../../../src/domain/units.js"
import { MIGRATIONS } from "../../../src/layers/migrations/index.js"
import { ClickHouse } from "../../../src/services/ClickHouse.js"
import { DEFAULT_REQUEST_POLICY, RequestPolicy } from "../../../src/services/RequestPolicy.js"
import { fillTruthsOfMarket, profileKnobs } from "../../../src/simulator/index.js"
import { runJob } from "../../../src/streams/engine.js"
import { makeFillsJob } from "../../../src/streams/jobs/fills.js"
import { marketsJob } from "../../../src/streams/jobs/markets.js"
import { migrate } from "../../../src/streams/migrate.js"
import { planJob } from "../../../src/streams/plan.js"
import { useSimulator } from "../../simulator/support.js"
import { layerTestClickHouse } from "../../support/clickhouse.js"
import { layerRunOnSimulator } from "../../support/runLayers.js"

const N = Schema.Union(Schema.Number, Schema.NumberFromString)

describe("stall watchdog against simulator hangs (real HTTP, real ClickHouse)", () => {
  const ctx = useSimulator({
    world: { seed: 5, markets: 24, wallets: 20, from: "2026-04-10", to: "2026-04-27", fills: 1200 },
    // Requests that hang for 20 s, with a request timeout far longer: only the watchdog can end them.
    knobs: { ...profileKnobs("none"), faults: { ...profileKnobs("none").faults, hangRate: 0.12, hangMs: 20_000 } }
  })

  it.live("hung requests are interrupted after --stall-timeout and their units retried: the fills still equal the ground truth", () =>
    Effect.gen(function* () {
      const clickhouse = yield* ClickHouse
      yield* migrate(MIGRATIONS, () => Effect.void)
      const warnings: Array<string> = []
      const logger = Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => void warnings.push(String(message))))
      const sim = ctx.sim
      const layers = Layer.mergeAll(
        layerRunOnSimulator(sim, clickhouse, 6),
        logger,
        Layer.succeed(RequestPolicy, { ...DEFAULT_REQUEST_POLICY, timeout: Duration.minutes(5) })
      )
      const fills = makeFillsJob({ pageSize: 25 })
      const options = (runId: string) => ({
        runId,
        workers: 6,
        sink: { batchSize: 500, flushInterval: Duration.millis(100) },
        checkpointInterval: 25,
        stallTimeout: Duration.millis(700),
        stallRetries: 20,
        selection: { retryErrors: false, shard: ALL_SHARDS, skip: 0, limit: undefined, since: undefined, until: undefined },
        say: () => Effect.void
      })
      const [m, f] = yield* Effect.gen(function* () {
        yield* planJob(marketsJob, { rebuild: false })
        const m = yield* runJob(marketsJob, options("wd-markets"))
        yield* planJob(fills, { rebuild: false })
        const f = yield* runJob(fills, options("wd-fills"))
        return [m, f] as const
      }).pipe(Effect.provide(layers))
      expect(m.errors).toBe(0)
      expect(f).toMatchObject({ errors: 0, done: sim.world.marketCount })

      const stats = (yield* Effect.promise(() => fetch(sim.statsUrl).then((r) => r.json()))) as { totals: Record<string, number> }
      expect(stats.totals["hangs"]).toBeGreaterThan(0)
      expect(warnings.filter((w) => / made no progress for \d+s: interrupted and retried from its last page/.test(w)).length).toBeGreaterThan(0)

      let truth = 0
      for (let i = 0; i < sim.world.marketCount; i++) truth += fillTruthsOfMarket(sim.world, i, "goldsky").length
      const count = (sql: string) => Effect.map(clickhouse.query(sql, Schema.Struct({ n: N })), (r) => r[0]?.n ?? 0)
      expect(truth).toBeGreaterThan(100)
      expect(yield* count("SELECT count() AS n FROM clob_fills FINAL")).toBe(truth)
      expect(yield* count("SELECT count() AS n FROM backfill_units FINAL WHERE job = 'fills' AND status = 'done'")).toBe(sim.world.marketCount)
    }).pipe(Effect.scoped, Effect.provide(layerTestClickHouse("watchdog"))), 90_000)
})
