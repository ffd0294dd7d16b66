import type { Effect } from "effect"
import { Context, Data } from "effect"
import type { HeaderSource } from "../domain/rateLimitHeaders.js"

/** One HTTP exchange as the source clients need it: a GET, or a POST of a JSON body. */
export interface HttpExchange {
  readonly url: string
  /** A JSON text makes it a POST. */
  readonly body?: string
}

export interface HttpReply {
  readonly status: number
  readonly headers: HeaderSource
  readonly text: string
}

/** No answer at all (refused, reset, DNS): `description` may quote the URL, so callers redact it. */
export class TransportError extends Data.TaggedError("TransportError")<{ readonly description: string }> {}

/**
 * The wire under the source clients. Interrupting `send` aborts the request. Retries, timeouts,
 * the governor and status handling live above it (src/layers/http/request.ts).
 */
export class HttpTransport extends Context.Tag("polybackfill/HttpTransport")<
  HttpTransport,
  { readonly send: (exchange: HttpExchange) => Effect.Effect<HttpReply, TransportError> }
>() {}
