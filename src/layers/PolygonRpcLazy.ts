import { Context, Effect, Layer } from "effect"
import { SourceError } from "../domain/errors.js"
import type { Governor } from "../services/Governor.js"
import type { HttpTransport } from "../services/HttpTransport.js"
import { PolygonRpc } from "../services/PolygonRpc.js"
import type { Sources } from "../services/Sources.js"
import { layerPolygonRpcPool } from "./PolygonRpcPool.js"

const asSourceError = (e: unknown): SourceError =>
  e instanceof SourceError ? e : new SourceError({ reason: "Fatal", host: "rpc", message: e instanceof Error ? e.message : String(e) })

/**
 * The RPC pool, built on first use: every command gets the job environment, and only the onchain job
 * (and decode-log) should contact the RPC URLs (the pool checks each one's chain at start). A failure to
 * build it is the failure of every call, as one Fatal line.
 */
export const layerPolygonRpcLazy: Layer.Layer<PolygonRpc, never, HttpTransport | Governor | Sources> = Layer.scoped(
  PolygonRpc,
  Effect.gen(function* () {
    const scope = yield* Effect.scope
    const context = yield* Effect.context<HttpTransport | Governor | Sources>()
    let built = false
    const pool = yield* Effect.cached(
      Layer.buildWithScope(layerPolygonRpcPool, scope).pipe(
        Effect.provide(context),
        Effect.map((c) => Context.get(c, PolygonRpc)),
        Effect.tap(() => Effect.sync(() => (built = true))),
        Effect.mapError(asSourceError)
      )
    )
    return {
      getLogs: (filter) => Effect.flatMap(pool, (p) => p.getLogs(filter)),
      blockTimestamps: (blocks) => Effect.flatMap(pool, (p) => p.blockTimestamps(blocks)),
      headBlock: Effect.flatMap(pool, (p) => p.headBlock),
      health: Effect.suspend(() => (built ? Effect.flatMap(Effect.orDie(pool), (p) => p.health) : Effect.succeed([])))
    }
  })
)
