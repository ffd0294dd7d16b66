// PLACEHOLDER until the pool branch lands: one URL, no failover. Replaced wholesale at merge.
import { Effect, Layer } from "effect"
import { LogRangeError, SourceError } from "../domain/errors.js"
import { Governor } from "../services/Governor.js"
import { HttpTransport } from "../services/HttpTransport.js"
import { PolygonRpc } from "../services/PolygonRpc.js"
import { Sources } from "../services/Sources.js"
import { makeRequester } from "./http/request.js"

const hex = (n: number) => "0x" + n.toString(16)

export const layerPolygonRpcPool = Layer.effect(
  PolygonRpc,
  Effect.gen(function* () {
    const request = makeRequester(yield* HttpTransport, yield* Governor)
    const { rpc } = yield* Sources
    const url = rpc[0]!
    const call = (method: string, params: ReadonlyArray<unknown>) =>
      Effect.flatMap(request({ url, body: { jsonrpc: "2.0", id: 1, method, params } }), (json) => {
        const j = json as { result?: unknown; error?: { code: number; message: string } }
        return j.error === undefined ? Effect.succeed(j.result) : Effect.fail(j.error)
      })
    return {
      getLogs: (f) =>
        call("eth_getLogs", [{ fromBlock: hex(f.fromBlock), toBlock: hex(f.toBlock), address: f.addresses, topics: f.topics }]).pipe(
          Effect.map((r) => r as ReadonlyArray<unknown>),
          Effect.catchIf(
            (e): e is { code: number; message: string } => !(e instanceof SourceError),
            (e) => {
              const m = /\[0x([0-9a-f]+), 0x([0-9a-f]+)\]/.exec(e.message)
              const max = /max: (\d+)/.exec(e.message)
              return Effect.fail(
                new LogRangeError({
                  message: e.message,
                  fromBlock: f.fromBlock,
                  toBlock: f.toBlock,
                  ...(m ? { suggestedToBlock: Number.parseInt(m[2]!, 16) } : {}),
                  ...(max ? { maxRange: Number(max[1]) } : {})
                })
              )
            }
          )
        ),
      blockTimestamps: (blocks) =>
        Effect.map(
          Effect.forEach(blocks, (b) => call("eth_getBlockByNumber", [hex(b), false]), { concurrency: 8 }),
          (results) => new Map(results.map((r, i) => [blocks[i]!, Number.parseInt((r as { timestamp: string }).timestamp, 16)]))
        ).pipe(Effect.mapError((e) => (e instanceof SourceError ? e : new SourceError({ reason: "Fatal", host: "rpc", message: String((e as { message: string }).message) })))),
      headBlock: call("eth_blockNumber", []).pipe(
        Effect.map((r) => Number.parseInt(r as string, 16)),
        Effect.mapError((e) => (e instanceof SourceError ? e : new SourceError({ reason: "Fatal", host: "rpc", message: String((e as { message: string }).message) })))
      ),
      health: Effect.succeed([])
    }
  })
)
