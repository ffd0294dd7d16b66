import { Clock, Duration, Effect, Schema } from "effect"
import { JobName, RunId } from "../domain/ids.js"
import { Onchain, RpcHealthRow as RpcHealthRowSchema } from "../domain/statements.js"
import { TABLES } from "../domain/tables.js"
import { ClickHouse } from "../services/ClickHouse.js"
import { PolygonRpc } from "../services/PolygonRpc.js"
import { HEARTBEAT_EVERY_S } from "./heartbeat.js"

/** The RPC pool's health of this run, written to rpc_health with each heartbeat and once at the end (only once the pool was used). */
const writeHealth = (job: string, runId: string) =>
  Effect.gen(function* () {
    const urls = yield* Effect.flatMap(PolygonRpc, (rpc) => rpc.health)
    if (urls.length === 0) return
    const now = Math.floor((yield* Clock.currentTimeMillis) / 1000)
    const ch = yield* ClickHouse
    yield* ch.insert(
      TABLES.rpcHealth,
      urls.map((u) => ({
        job,
        run_id: runId,
        url: u.url,
        workers_limit: u.limit,
        in_flight: u.inFlight,
        requests: u.requests,
        share: u.share,
        latency_ms: u.latencyMs,
        failures: u.failures,
        set_aside: u.setAside ? 1 : 0,
        updated_at: now
      }))
    )
  }).pipe(Effect.catchAll((e) => Effect.logWarning(`RPC health not written: ${e.message}`)))

/** Runs `program` while the pool's health is written every heartbeat period, and once more when it ends. */
export const withRpcHealth =
  (job: string, runId: string) =>
  <A, E, R>(program: Effect.Effect<A, E, R>): Effect.Effect<A, E, R | PolygonRpc | ClickHouse> =>
    Effect.scoped(
      Effect.gen(function* () {
        const write = writeHealth(job, runId)
        yield* Effect.forkScoped(Effect.forever(Effect.zipRight(Effect.sleep(Duration.seconds(HEARTBEAT_EVERY_S)), write)))
        yield* Effect.addFinalizer(() => write)
        return yield* program
      })
    )

export type RpcHealthRow = typeof RpcHealthRowSchema.Type

/** The URLs of the job's latest run that used the RPC pool. */
export const latestRpcHealth = (job: string) =>
  Effect.gen(function* () {
    const ch = yield* ClickHouse
    const name = Schema.decodeSync(JobName)(job)
    const last = yield* ch.query(Onchain.lastHealthRun.sql(name), Onchain.lastHealthRun.rows)
    if (last.length === 0) return []
    return yield* ch.query(Onchain.health.sql(name, Schema.decodeSync(RunId)(last[0]!.run_id)), Onchain.health.rows)
  })
