import { HttpClient } from "@effect/platform"
import { Clock, Context, Effect, Layer, Option, Schema } from "effect"
import { SourceError } from "../domain/errors.js"
import { OrderFilledPage, orderFilledQuery, SUBGRAPH_META_QUERY, SubgraphMetaPage } from "../domain/goldsky.js"
import { redactUrl } from "../domain/redact.js"
import { GoldskySource } from "../services/GoldskySource.js"
import type { SubgraphHead } from "../services/GoldskySource.js"
import { Governor } from "../services/Governor.js"
import { Sources } from "../services/Sources.js"
import { requestJson } from "./http/request.js"

const iso = (s: number) => new Date(s * 1000).toISOString().replace(".000Z", "Z")

/** A subgraph that stopped indexing longer ago than this is reported as a warning. */
const STALE_AFTER_S = 3600

/** The operator's view of the head: fills after it are not in this source, so a gap after it is visible. */
const reportHead = (head: SubgraphHead) =>
  Effect.gen(function* () {
    const nowS = Math.floor((yield* Clock.currentTimeMillis) / 1000)
    if (Option.isNone(head.timestamp)) {
      return yield* Effect.logWarning(`Goldsky orderbook subgraph: indexed up to block ${head.block} (it does not say when); fills after it are not in this source`)
    }
    const line = `Goldsky orderbook subgraph: indexed up to block ${head.block}, last fill time it can serve ${iso(head.timestamp.value)}`
    if (nowS - head.timestamp.value > STALE_AFTER_S) {
      return yield* Effect.logWarning(`${line}; fills after that time are not in this source (a gap to fill from chain)`)
    }
    return yield* Effect.logInfo(line)
  })

/** Goldsky over HTTP (GraphQL POST): each request under the governor, --request-timeout and the retry policy. */
export const layerGoldskySource = Layer.effect(
  GoldskySource,
  Effect.gen(function* () {
    const services = Context.make(HttpClient.HttpClient, yield* HttpClient.HttpClient).pipe(
      Context.add(Governor, yield* Governor),
      Context.add(Sources, yield* Sources)
    )
    const { goldsky } = Context.get(services, Sources)
    const host = new URL(goldsky).host
    const where = redactUrl(goldsky)

    const post = <A, I>(body: unknown, schema: Schema.Schema<A, I>, what: string) =>
      Effect.gen(function* () {
        const json = yield* requestJson({ url: goldsky, body })
        const page = yield* Effect.mapError(
          Schema.decodeUnknown(schema)(json),
          () => new SourceError({ reason: "Decode", host, message: `${where} did not answer ${what} as GraphQL {data, errors}` })
        )
        const errors = (page as { readonly errors?: ReadonlyArray<{ readonly message: string }> }).errors
        if (errors !== undefined && errors.length > 0) {
          return yield* Effect.fail(new SourceError({ reason: "Fatal", host, message: `${where} GraphQL error: ${errors[0]!.message.split("\n")[0]}` }))
        }
        return page
      }).pipe(Effect.provide(services))

    const head = yield* Effect.cached(
      Effect.gen(function* () {
        const page = yield* post({ query: SUBGRAPH_META_QUERY }, SubgraphMetaPage, "_meta")
        const block = page.data?._meta?.block
        if (block === undefined) return yield* Effect.fail(new SourceError({ reason: "Decode", host, message: `${where} sent no _meta.block` }))
        const result: SubgraphHead = { block: block.number, timestamp: Option.fromNullable(block.timestamp) }
        yield* reportHead(result)
        return result
      }).pipe(Effect.tapError((e) => Effect.logWarning(`Goldsky orderbook subgraph: could not read how far it has indexed: ${e.message}`)))
    )

    return {
      orderFilledEvents: (tokenIds, cursor, first) =>
        Effect.map(
          post(orderFilledQuery(tokenIds, cursor, first), OrderFilledPage, "orderFilledEvents"),
          (page) => page.data?.orderFilledEvents ?? []
        ),
      head
    }
  })
)
