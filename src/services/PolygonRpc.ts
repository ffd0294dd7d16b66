import type { Effect } from "effect"
import { Context } from "effect"
import type { LogRangeError, SourceError } from "../domain/errors.js"

export interface LogFilter {
  readonly fromBlock: number
  readonly toBlock: number
  /** Lowercase contract addresses, sent as an OR-list. */
  readonly addresses: ReadonlyArray<string>
  /** Per position OR-lists (topic0 list etc.); null leaves a position open. */
  readonly topics: ReadonlyArray<ReadonlyArray<string> | null>
}

export interface RpcUrlHealth {
  /** Redacted: keys in path or query never appear. */
  readonly url: string
  readonly limit: number
  readonly inFlight: number
  readonly requests: number
  /** Its share of all requests, 0..1. */
  readonly share: number
  readonly latencyMs: number
  readonly failures: number
  readonly setAside: boolean
}

/** Polygon JSON-RPC over a pool of URLs, each under its own governor. */
export class PolygonRpc extends Context.Tag("polybackfill/PolygonRpc")<
  PolygonRpc,
  {
    /** Raw log objects as the node returned them (the job decodes them). */
    readonly getLogs: (filter: LogFilter) => Effect.Effect<ReadonlyArray<unknown>, SourceError | LogRangeError>
    /** Timestamps (epoch s) of blocks. */
    readonly blockTimestamps: (blocks: ReadonlyArray<number>) => Effect.Effect<ReadonlyMap<number, number>, SourceError>
    readonly headBlock: Effect.Effect<number, SourceError>
    readonly health: Effect.Effect<ReadonlyArray<RpcUrlHealth>>
  }
>() {}
