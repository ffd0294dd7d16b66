import { Effect, Layer, Schema } from "effect"
import { SourceError } from "../domain/errors.js"
import { redactUrl } from "../domain/redact.js"
import type { ActivityPageV1, ActivityPageV2, ActivityRequest, OffsetCapped } from "../services/DataApiSource.js"
import { DataApiSource } from "../services/DataApiSource.js"
import { Governor } from "../services/Governor.js"
import { HttpTransport } from "../services/HttpTransport.js"
import { Sources } from "../services/Sources.js"
import { makeRequester } from "./http/request.js"

const base = (root: string, path: string, r: ActivityRequest): URL => {
  const url = new URL(`${root.replace(/\/$/, "")}${path}`)
  url.searchParams.set("user", r.user)
  url.searchParams.set("type", "TRADE")
  url.searchParams.set("limit", String(r.limit))
  url.searchParams.set("start", String(r.start))
  if (r.end !== null) url.searchParams.set("end", String(r.end))
  return url
}

/** `/activity?type=TRADE`, newest first, with start (and end) always re-sent. */
export const activityUrl = (root: string, r: ActivityPageV1): string => {
  const url = base(root, "/activity", r)
  url.searchParams.set("offset", String(r.offset))
  url.searchParams.set("sortBy", "TIMESTAMP")
  url.searchParams.set("sortDirection", "DESC")
  return url.toString()
}

export const activityV2Url = (root: string, r: ActivityPageV2): string => {
  const url = base(root, "/v2/activity", r)
  if (r.cursor !== null) url.searchParams.set("cursor", r.cursor)
  return url.toString()
}

const Envelope = Schema.Struct({
  data: Schema.Array(Schema.Unknown),
  pagination: Schema.Struct({ next_cursor: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null }) })
})

/** The API's own words from a 4xx body (`{"error": "..."}`, v1 and v2 alike), else the body as the requester quoted it. */
export const apiMessage = (e: SourceError): string => {
  const m = /"error"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(e.message)
  return m === null ? e.message : `Data-API answered HTTP ${e.status ?? "4xx"}: ${m[1]!.replace(/\\"/g, '"')}`
}

/** The Data-API over HTTP: each request under the governor, --request-timeout and the retry policy (429s, HTML bodies included, are retried). */
export const layerDataApiSource = Layer.effect(
  DataApiSource,
  Effect.gen(function* () {
    const requestJson = makeRequester(yield* HttpTransport, yield* Governor)
    const { dataApi } = yield* Sources
    const refused = (e: SourceError) => e.reason === "Fatal" && e.status !== undefined && e.status >= 400 && e.status < 500
    return {
      activity: (request) => {
        const url = activityUrl(dataApi, request)
        return requestJson({ url }).pipe(
          Effect.flatMap((json) =>
            Array.isArray(json)
              ? Effect.succeed<ReadonlyArray<unknown> | OffsetCapped>(json)
              : Effect.fail(new SourceError({ reason: "Decode", host: new URL(url).host, message: `${redactUrl(url)} did not answer a JSON array` }))
          ),
          Effect.catchIf(
            (e) => refused(e) && e.status === 400 && request.offset > 0,
            (e) => Effect.succeed<OffsetCapped>({ _tag: "OffsetCapped", message: apiMessage(e) })
          ),
          Effect.mapError((e) => (refused(e) ? new SourceError({ ...e, message: apiMessage(e) }) : e))
        )
      },
      activityV2: (request) => {
        const url = activityV2Url(dataApi, request)
        return requestJson({ url }).pipe(
          Effect.flatMap((json) =>
            Effect.mapError(
              Schema.decodeUnknown(Envelope)(json),
              () => new SourceError({ reason: "Decode", host: new URL(url).host, message: `${redactUrl(url)} did not answer {data: [...], pagination: {next_cursor}}` })
            )
          ),
          Effect.map((page) => ({ rows: page.data, next: page.pagination.next_cursor })),
          Effect.mapError((e) => (refused(e) ? new SourceError({ ...e, message: apiMessage(e) }) : e))
        )
      }
    }
  })
)
