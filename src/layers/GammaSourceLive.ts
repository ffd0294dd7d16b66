import { Effect, Layer, Schema } from "effect"
import { SourceError } from "../domain/errors.js"
import { GammaKeysetPage } from "../domain/gamma.js"
import { redactUrl } from "../domain/redact.js"
import type { GammaKeysetRequest } from "../services/GammaSource.js"
import { GammaSource } from "../services/GammaSource.js"
import { Governor } from "../services/Governor.js"
import { HttpTransport } from "../services/HttpTransport.js"
import { Sources } from "../services/Sources.js"
import { makeRequester } from "./http/request.js"

/** `/markets/keyset` with every filter re-sent on each page, paged by after_cursor (`cursor=` is ignored by Gamma). */
export const keysetUrl = (base: string, request: GammaKeysetRequest): string => {
  const url = new URL(`${base.replace(/\/$/, "")}/markets/keyset`)
  url.searchParams.set("closed", String(request.closed))
  url.searchParams.set("limit", String(request.limit))
  if (request.afterCursor !== "") url.searchParams.set("after_cursor", request.afterCursor)
  return url.toString()
}

/** Gamma over HTTP: each request under the governor, --request-timeout and the retry policy. */
export const layerGammaSource = Layer.effect(
  GammaSource,
  Effect.gen(function* () {
    const requestJson = makeRequester(yield* HttpTransport, yield* Governor)
    const { gamma } = yield* Sources
    return {
      marketsKeyset: (request) =>
        Effect.gen(function* () {
          const url = keysetUrl(gamma, request)
          const json = yield* requestJson({ url })
          const page = yield* Effect.mapError(
            Schema.decodeUnknown(GammaKeysetPage)(json),
            () =>
              new SourceError({ reason: "Decode", host: new URL(url).host, message: `${redactUrl(url)} did not answer {markets: [...], next_cursor}` })
          )
          return { markets: page.markets, nextCursor: page.next_cursor ?? undefined }
        })
    }
  })
)
