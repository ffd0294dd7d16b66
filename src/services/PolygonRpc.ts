import type { Effect } from "effect"
import { Context } from "effect"
import type { LogRangeError, SourceError } from "../domain/errors.js"

export interface LogFilter {
  readonly fromBlock: number
  readonly toBlock: number
  /** Lowercase, sent as an OR-list; empty = every contract. */
  readonly addresses: ReadonlyArray<string>
  /** Per position OR-lists (topic0 list etc.); null = any. */
  readonly topics: ReadonlyArray<ReadonlyArray<string> | null>
}

export interface RpcUrlHealth {
  /** Redacted (redactUrl): keys in path/query never appear. */
  readonly url: string
  /** Its governor's current concurrency limit. */
  readonly limit: number
  readonly inFlight: number
  /** Requests sent to it. */
  readonly requests: number
  /** Its share of all requests, 0..1. */
  readonly share: number
  /** Recent typical latency of successes. */
  readonly latencyMs: number
  /** 429 / timeout / 5xx / transport. */
  readonly failures: number
  /** Currently set aside after repeated failures (or refused). */
  readonly setAside: boolean
}

/** Polygon JSON-RPC over one or more URLs (the pool: src/layers/PolygonRpcPool.ts). */
export class PolygonRpc extends Context.Tag("polybackfill/PolygonRpc")<
  PolygonRpc,
  {
    /** Raw log objects as the node returned them (the job decodes them). */
    readonly getLogs: (filter: LogFilter) => Effect.Effect<ReadonlyArray<unknown>, SourceError | LogRangeError>
    /** Timestamps (epoch s) of blocks, one JSON-RPC batch of eth_getBlockByNumber(false) per call (chunk batches of ~100). */
    readonly blockTimestamps: (blocks: ReadonlyArray<number>) => Effect.Effect<ReadonlyMap<number, number>, SourceError>
    readonly headBlock: Effect.Effect<number, SourceError>
    readonly health: Effect.Effect<ReadonlyArray<RpcUrlHealth>>
  }
>() {}
