import { Cause, Clock, Duration, Effect, Exit, Layer, Option } from "effect"
import { LogRangeError, SourceError, UsageError, isRetryable } from "../domain/errors.js"
import { batchResults, blockTimestampOf, getLogsParams, quantityOf, resultOf, rpcCall } from "../domain/jsonRpc.js"
import { classifyRpcError, jsonRpcErrorOf } from "../domain/rpcErrors.js"
import { POLYGON_CHAIN_ID } from "../domain/polygon.js"
import type { GovernorApi } from "../services/Governor.js"
import { Governor } from "../services/Governor.js"
import { HttpTransport } from "../services/HttpTransport.js"
import type { LogFilter, RpcUrlHealth } from "../services/PolygonRpc.js"
import { PolygonRpc } from "../services/PolygonRpc.js"
import { RequestPolicy } from "../services/RequestPolicy.js"
import { Sources } from "../services/Sources.js"
import { waiting } from "../services/Waiting.js"
import { attemptJson, backoffMs } from "./http/request.js"
import type { GovernorView, PoolTuning } from "./rpcPool/members.js"
import { checkRpc, decodeError, providerText } from "./rpcPool/answers.js"
import { choose, DEFAULT_POOL_TUNING, Member, noteLatency, otherInService, reasonOf, recordFailure, recordSuccess } from "./rpcPool/members.js"
import { startCheck } from "./rpcPool/startCheck.js"

/** Blocks per eth_getBlockByNumber batch: providers cap batches (often at 100 to 1,000 calls). */
const BATCH_SIZE = 100

const logLine = (line: string | undefined, level: "Info" | "Warning") =>
  line === undefined ? Effect.void : level === "Info" ? Effect.logInfo(line) : Effect.logWarning(line)

/**
 * The pool over Sources.rpc: checks every URL's chain at start, then serves each call on the URL with the
 * most room, moving it on 429 / timeout / 5xx / transport failures. `tuningOverrides`: tests, benchmarks.
 */
export const makePolygonRpcPool = (tuningOverrides: Partial<PoolTuning> = {}) =>
  Effect.gen(function* () {
    const tuning: PoolTuning = { ...DEFAULT_POOL_TUNING, ...tuningOverrides }
    const transport = yield* HttpTransport
    const governor = yield* Governor
    const { rpc } = yield* Sources
    if (rpc.length === 0) return yield* new UsageError({ message: "no Polygon RPC URL: give --rpc-url, RPC_URLS or ETHEREUM_RPC_URLS" })
    const members = rpc.map((url, i) => new Member(i, url, tuning))

    /** The governor's limit and Retry-After pause for each URL's entry (keys hold no URL, so they print as they are). */
    const views = Effect.map(governor.snapshot, (snap) => {
      const byKey = new Map(snap.map((h) => [h.host, h]))
      return (m: Member): GovernorView => {
        const h = byKey.get(m.key)
        return { limit: h?.limit ?? 1, pausedUntilMs: h?.pausedUntilMs ?? 0 }
      }
    })

    /** The governor, timing each answer inside the permit: a URL's latency is its own, not the queue before it. */
    const timedGovernors = new Map(
      members.map((m): [Member, GovernorApi] => [
        m,
        {
          snapshot: governor.snapshot,
          withPermit: (key, request, hint) =>
            governor.withPermit(
              key,
              Effect.flatMap(Clock.currentTimeMillis, (t0) => Effect.tap(request, () => Effect.map(Clock.currentTimeMillis, (t1) => noteLatency(m, t1 - t0)))),
              hint
            )
        }
      ])
    )

    /** One JSON-RPC exchange with one URL: one attempt under its governor entry and --request-timeout. */
    const exchange = (m: Member, body: unknown, rangeIsAnswer = false) =>
      Effect.flatMap(RequestPolicy, (policy) =>
        Effect.map(
          attemptJson({ url: m.url, key: m.key, body, check: checkRpc(m, rangeIsAnswer) }, transport, timedGovernors.get(m)!, policy.timeout),
          (a) => a.json
        )
      )

    const chainIdOf = (m: Member) =>
      Effect.flatMap(exchange(m, rpcCall("eth_chainId")), (json) => {
        const id = quantityOf(resultOf(json))
        return id === undefined ? Effect.fail(decodeError(m, "eth_chainId")) : Effect.succeed(id)
      })

    const wrongChain = (m: Member, id: number) =>
      `RPC URL ${m.where} is on chain ${id}, not Polygon (${POLYGON_CHAIN_ID}): remove it from --rpc-url / RPC_URLS / ETHEREUM_RPC_URLS`

    /** A URL set aside at start is checked on its first probe: a wrong chain takes it out for the run. */
    const verify = (m: Member): Effect.Effect<void, SourceError> =>
      m.chain === "verified"
        ? Effect.void
        : Effect.flatMap(chainIdOf(m), (id) => {
            if (id === POLYGON_CHAIN_ID) return Effect.sync(() => void (m.chain = "verified"))
            m.chain = "refused"
            const line = wrongChain(m, id)
            return Effect.zipRight(Effect.logError(`${line}; it is left out of this run`), Effect.fail(new SourceError({ reason: "Transient", host: m.host, message: line })))
          })

    /** Runs one attempt on `m`, keeping its load, request count and health up to date (even when interrupted). */
    const attemptOn = <A, E>(m: Member, probe: boolean, call: Effect.Effect<A, E>): Effect.Effect<A, E> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.suspend(() => {
          m.assigned += 1
          m.requests += 1
          if (probe) m.probing = true
          return Effect.onExit(restore(call), (exit) => settle(m, probe, exit))
        })
      )

    const settle = <A, E>(m: Member, probe: boolean, exit: Exit.Exit<A, E>) =>
      Effect.flatMap(Clock.currentTimeMillis, (nowMs) => {
        m.assigned -= 1
        if (probe) m.probing = false
        if (Exit.isSuccess(exit)) return logLine(recordSuccess(m, tuning), "Info")
        const error = Option.getOrUndefined(Cause.failureOption(exit.cause))
        // A range refusal is an answer; interruption and Fatal/Decode say nothing of the URL's health.
        if (!(error instanceof SourceError) || !isRetryable(error)) return Effect.void
        return logLine(recordFailure(m, probe, nowMs, reasonOf(m, error.message), tuning), "Warning")
      })

    /**
     * A request over the pool: on a retryable failure it moves to another URL at once, or waits the
     * policy's backoff (at least Retry-After) when none is in service; when every URL is set aside it
     * waits for the earliest to come back. RequestPolicy.maxAttempts bounds the attempts.
     */
    const overPool = <A, E>(call: (m: Member) => Effect.Effect<A, E | SourceError>): Effect.Effect<A, E | SourceError> =>
      Effect.flatMap(RequestPolicy, (policy) => {
        const go = (n: number, avoid: Member | undefined, last: SourceError | undefined): Effect.Effect<A, E | SourceError> =>
          Effect.flatMap(Effect.zip(views, Clock.currentTimeMillis), ([viewOf, nowMs]) => {
            const choice = choose(members, viewOf, nowMs, avoid)
            if (choice._tag === "None") return Effect.fail(noUrlLeft(last))
            if (choice._tag === "Wait") return Effect.zipRight(waiting(Effect.sleep(Duration.millis(choice.ms))), go(n, avoid, last))
            const m = choice.member
            const run = choice.probe ? Effect.zipRight(verify(m), call(m)) : call(m)
            return Effect.catchAll(attemptOn(m, choice.probe, run), (error) => {
              if (!(error instanceof SourceError) || !isRetryable(error)) return Effect.fail(error)
              if (n + 1 >= policy.maxAttempts) {
                return Effect.fail(new SourceError({ ...error, message: `${error.message} (gave up after ${n + 1} attempts over ${members.length} RPC URLs)` }))
              }
              return Effect.flatMap(Effect.zip(views, Clock.currentTimeMillis), ([after, now]) =>
                otherInService(members, after, now, m)
                  ? go(n + 1, m, error)
                  : Effect.flatMap(backoffMs(n, error, policy.baseBackoff, policy.maxBackoff), (wait) =>
                      Effect.zipRight(waiting(Effect.sleep(Duration.millis(wait))), go(n + 1, m, error))
                    )
              )
            })
          })
        return go(0, undefined, undefined)
      })

    const noUrlLeft = (last: SourceError | undefined) =>
      new SourceError({
        reason: "Fatal",
        host: members[0]!.host,
        message: `no RPC URL left: every one is on another chain than Polygon (${POLYGON_CHAIN_ID})${last !== undefined ? `; last error: ${last.message}` : ""}`
      })

    yield* startCheck(members, chainIdOf, attemptOn, wrongChain, tuning)

    const getLogs = (filter: LogFilter) =>
      overPool<ReadonlyArray<unknown>, LogRangeError>((m) =>
        Effect.flatMap(exchange(m, rpcCall("eth_getLogs", getLogsParams(filter)), true), (json): Effect.Effect<ReadonlyArray<unknown>, SourceError | LogRangeError> => {
          const error = jsonRpcErrorOf(json)
          if (error !== undefined) return Effect.fail(rangeError(m, filter, error))
          const logs = resultOf(json)
          return Array.isArray(logs) ? Effect.succeed(logs as ReadonlyArray<unknown>) : Effect.fail(decodeError(m, "eth_getLogs"))
        }).pipe(
          // Some providers send the refusal with a 4xx status: request.ts made it a Fatal error quoting the body.
          Effect.catchIf(
            (e): e is SourceError => e instanceof SourceError && e.reason === "Fatal" && e.status !== undefined && e.status >= 400 && e.status < 500,
            (e): Effect.Effect<never, SourceError | LogRangeError> =>
              classifyRpcError({ code: 0, message: e.message }).kind === "Range"
                ? Effect.fail(rangeError(m, filter, { code: e.status!, message: reasonOf(m, e.message) }))
                : Effect.fail(e)
          )
        )
      )

    const rangeError = (m: Member, filter: LogFilter, error: { code: number; message: string }) => {
      const c = classifyRpcError(error)
      const hints: { readonly suggestedToBlock?: number; readonly maxRange?: number } = c.kind === "Range" ? c : {}
      return new LogRangeError({
        message: `${m.where} refused eth_getLogs over blocks ${filter.fromBlock}..${filter.toBlock} (${error.code}: ${providerText(error.message, m)})`,
        fromBlock: filter.fromBlock,
        toBlock: filter.toBlock,
        ...(hints.suggestedToBlock !== undefined ? { suggestedToBlock: hints.suggestedToBlock } : {}),
        ...(hints.maxRange !== undefined ? { maxRange: hints.maxRange } : {})
      })
    }

    /** One batch; a block a node does not have yet (null) is retried on another URL (nodes lag each other). */
    const timestampBatch = (blocks: ReadonlyArray<number>) =>
      overPool<ReadonlyArray<readonly [number, number]>, never>((m) =>
        Effect.flatMap(exchange(m, blocks.map((b, i) => rpcCall("eth_getBlockByNumber", [`0x${b.toString(16)}`, false], i))), (json) => {
          const results = batchResults(json)
          if (results === undefined) return Effect.fail(decodeError(m, "the eth_getBlockByNumber batch"))
          const out: Array<readonly [number, number]> = []
          for (let i = 0; i < blocks.length; i++) {
            const ts = blockTimestampOf(results.get(i))
            if (ts === undefined) {
              return Effect.fail(new SourceError({ reason: "Transient", host: m.host, message: `${m.where} has no block ${blocks[i]} (behind the head?)` }))
            }
            out.push([blocks[i]!, ts])
          }
          return Effect.succeed(out)
        })
      )

    const blockTimestamps = (blocks: ReadonlyArray<number>) => {
      const unique = [...new Set(blocks)]
      const batches: Array<ReadonlyArray<number>> = []
      for (let i = 0; i < unique.length; i += BATCH_SIZE) batches.push(unique.slice(i, i + BATCH_SIZE))
      return Effect.map(Effect.forEach(batches, timestampBatch, { concurrency: 4 }), (parts) => new Map(parts.flat()) as ReadonlyMap<number, number>)
    }

    const headBlock = overPool<number, never>((m) =>
      Effect.flatMap(exchange(m, rpcCall("eth_blockNumber")), (json) => {
        const head = quantityOf(resultOf(json))
        return head === undefined ? Effect.fail(decodeError(m, "eth_blockNumber")) : Effect.succeed(head)
      })
    )

    const health: Effect.Effect<ReadonlyArray<RpcUrlHealth>> = Effect.flatMap(governor.snapshot, (snap) =>
      Effect.sync(() => {
        const byKey = new Map(snap.map((h) => [h.host, h]))
        const total = members.reduce((s, m) => s + m.requests, 0)
        return members.map((m) => ({
          url: m.where,
          limit: byKey.get(m.key)?.limit ?? 0,
          inFlight: byKey.get(m.key)?.inFlight ?? 0,
          requests: m.requests,
          share: total === 0 ? 0 : m.requests / total,
          latencyMs: Math.round(m.latencyMs),
          failures: m.failures,
          setAside: m.setAsideUntilMs > 0 || m.chain === "refused"
        }))
      })
    )

    return { getLogs, blockTimestamps, headBlock, health }
  })

/**
 * Polygon JSON-RPC over every URL of Sources.rpc, each with its own governor entry (`host#n`) and
 * health; needs HttpTransport, Governor and Sources (RequestPolicy is read per request).
 */
export const layerPolygonRpcPoolWith = (tuning: Partial<PoolTuning> = {}) => Layer.effect(PolygonRpc, makePolygonRpcPool(tuning))

export const layerPolygonRpcPool = layerPolygonRpcPoolWith()
