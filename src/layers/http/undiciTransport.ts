import { Agent, request } from "undici"
import { Effect, Layer } from "effect"
import type { HttpReply } from "../../services/HttpTransport.js"
import { HttpTransport, TransportError } from "../../services/HttpTransport.js"

const JSON_HEADERS = { accept: "application/json", "content-type": "application/json" }
const ACCEPT_JSON = { accept: "application/json" }

/**
 * The transport over undici with one keep-alive agent for the run. It replaces @effect/platform's
 * HttpClient here: that client's per-request machinery (URL and header objects, response wrappers,
 * finalization registry) cost more CPU than the JSON it carried at hundreds of requests per second.
 */
export const layerUndiciTransport: Layer.Layer<HttpTransport> = Layer.scoped(
  HttpTransport,
  Effect.map(
    Effect.acquireRelease(
      Effect.sync(() => new Agent()),
      (agent) => Effect.promise(() => agent.destroy())
    ),
    (agent) => ({
      send: (exchange) =>
        Effect.async<HttpReply, TransportError>(
          (resume, signal) => {
            const post = exchange.body !== undefined
            request(exchange.url, {
              dispatcher: agent,
              method: post ? "POST" : "GET",
              headers: post ? JSON_HEADERS : ACCEPT_JSON,
              ...(post ? { body: exchange.body } : {}),
              signal
            })
              .then(async (response) => ({ status: response.statusCode, headers: response.headers, text: await response.body.text() }))
              .then(
                (reply) => resume(Effect.succeed(reply)),
                (e: unknown) => resume(Effect.fail(new TransportError({ description: describe(e) })))
              )
          }
        )
    })
  )
)

/** undici puts the useful part (ECONNREFUSED, other side closed) in the cause or the code. */
const describe = (e: unknown): string => {
  if (!(e instanceof Error)) return String(e)
  const cause = e.cause instanceof Error ? `: ${e.cause.message}` : ""
  const code = "code" in e && typeof e.code === "string" ? ` ${e.code}` : ""
  return `${e.message}${cause}${code}`
}
