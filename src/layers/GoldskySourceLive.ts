import { Clock, Effect, Fiber, Layer, Option, Schema } from "effect"
import { SourceError } from "../domain/errors.js"
import { graphqlErrorOf, orderFilledEventsOf, orderFilledQuery, SUBGRAPH_META_QUERY, SubgraphMetaPage } from "../domain/goldsky.js"
import { redactUrl } from "../domain/redact.js"
import { GoldskySource } from "../services/GoldskySource.js"
import type { SubgraphHead } from "../services/GoldskySource.js"
import { Governor } from "../services/Governor.js"
import { HttpTransport } from "../services/HttpTransport.js"
import { Sources } from "../services/Sources.js"
import { makeRequester } from "./http/request.js"

const iso = (s: number) => new Date(s * 1000).toISOString().replace(".000Z", "Z")

/** A subgraph that stopped indexing longer ago than this is reported as a warning. */
const STALE_AFTER_S = 3600

const FILLS_THE_GAP = "`polybackfill run onchain` reads them from the chain"

/** The operator's view of the head: fills after it are not in this source, so a gap after it is visible. */
const reportHead = (head: SubgraphHead) =>
  Effect.gen(function* () {
    if (Option.isNone(head.timestamp)) {
      return yield* Effect.logWarning(
        `Goldsky orderbook subgraph: indexed up to block ${head.block} (it does not say when); fills after that block are not in this source: ${FILLS_THE_GAP}`
      )
    }
    const line = `Goldsky orderbook subgraph: indexed up to block ${head.block}, the last fill time it can serve is ${iso(head.timestamp.value)}`
    const nowS = Math.floor((yield* Clock.currentTimeMillis) / 1000)
    if (nowS - head.timestamp.value > STALE_AFTER_S) {
      return yield* Effect.logWarning(`${line}; fills after that time are not in this source: ${FILLS_THE_GAP}`)
    }
    return yield* Effect.logInfo(line)
  })

/** GraphQL errors come with HTTP 200: overloads and timeouts are retried, the rest fail at once. */
const checkGraphQL = (json: unknown, where: string, host: string): SourceError | undefined => {
  const error = graphqlErrorOf(json)
  return error === undefined
    ? undefined
    : new SourceError({ reason: error.transient ? "Transient" : "Fatal", host, message: `${where} GraphQL error: ${error.message}` })
}

/** Goldsky over HTTP (GraphQL POST): each request under the governor, --request-timeout and the retry policy. */
export const layerGoldskySource = Layer.scoped(
  GoldskySource,
  Effect.gen(function* () {
    const scope = yield* Effect.scope
    const requestJson = makeRequester(yield* HttpTransport, yield* Governor)
    const { goldsky } = yield* Sources
    const host = new URL(goldsky).host
    const where = redactUrl(goldsky)

    const notGraphQL = (what: string) =>
      new SourceError({ reason: "Decode", host, message: `${where} did not answer ${what} in GraphQL's {data: {...}} shape` })
    const post = <A, I>(body: unknown, schema: Schema.Schema<A, I>, what: string) =>
      Effect.flatMap(requestJson({ url: goldsky, body, check: checkGraphQL }), (json) =>
        Effect.mapError(Schema.decodeUnknown(schema)(json), () => notGraphQL(what))
      )

    const noData = (what: string) => new SourceError({ reason: "Decode", host, message: `${where} answered without data.${what}` })

    const meta = post({ query: SUBGRAPH_META_QUERY }, SubgraphMetaPage, "_meta")
    // Asked once per run, in a fiber of its own: a unit interrupted while waiting for the answer (a
    // stall, Ctrl+C) does not cancel it for the others, nor does it make them ask and report again.
    const asked = yield* Effect.cached(Effect.forkIn(
      Effect.gen(function* () {
        const page = yield* meta
        const block = page.data?._meta?.block
        if (block === undefined) return yield* Effect.fail(noData("_meta.block"))
        const result: SubgraphHead = { block: block.number, timestamp: Option.fromNullable(block.timestamp) }
        yield* reportHead(result)
        return result
      }).pipe(Effect.tapError((e) => Effect.logWarning(`Goldsky orderbook subgraph: could not read how far it has indexed: ${e.message}`))),
      scope
    ))
    const head = Effect.flatMap(asked, Fiber.join)

    return {
      orderFilledEvents: (tokenIds, cursor, first) =>
        Effect.flatMap(requestJson({ url: goldsky, body: orderFilledQuery(tokenIds, cursor, first), check: checkGraphQL }), (json) => {
          const events = orderFilledEventsOf(json)
          if (events === "no data") return Effect.fail(noData("orderFilledEvents"))
          if (events === "bad shape") return Effect.fail(notGraphQL("orderFilledEvents"))
          return Effect.succeed(events)
        }),
      head,
      probe: Effect.asVoid(meta)
    }
  })
)
