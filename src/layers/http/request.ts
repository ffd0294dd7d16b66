import { Duration, Effect, Random } from "effect"
import { SourceError, isRetryable } from "../../domain/errors.js"
import { parseRateLimitHeaders, waitAskedMs } from "../../domain/rateLimitHeaders.js"
import type { HeaderSource, RateLimitHint } from "../../domain/rateLimitHeaders.js"
import { redactUrl } from "../../domain/redact.js"
import { Governor } from "../../services/Governor.js"
import { HttpTransport } from "../../services/HttpTransport.js"
import { RequestPolicy } from "../../services/RequestPolicy.js"
import { waiting } from "../../services/Waiting.js"

export interface JsonRequest {
  readonly url: string
  /** A JSON body makes it a POST. */
  readonly body?: unknown
  /**
   * Looks inside a 200 answer for a failure the status does not show (GraphQL `errors`). Inside the
   * attempt, so a retryable one is retried like a 5xx.
   */
  readonly check?: (json: unknown, where: string, host: string) => SourceError | undefined
  /** The governor entry the request runs under: the URL's host unless the caller keeps several per host (the RPC pool). */
  readonly key?: string
}

export interface Answer {
  readonly json: unknown
  readonly hint: RateLimitHint | undefined
}

const hostOf = (url: string): string => {
  try {
    return new URL(url).host
  } catch {
    return "invalid-url"
  }
}

/** Host and printable form of each URL: a source asks the same URL thousands of times per second. */
const named = new Map<string, { readonly host: string; readonly where: string }>()
const nameOf = (url: string) => {
  const known = named.get(url)
  if (known !== undefined) return known
  if (named.size >= 1024) named.clear()
  const fresh = { host: hostOf(url), where: redactUrl(url) }
  named.set(url, fresh)
  return fresh
}

/** A library's description of a transport failure, first line only, with the raw URL replaced by its redacted form. */
const detailOf = (description: string | undefined, url: string, where: string): string => {
  if (description === undefined || description === "") return ""
  const line = description.split("\n")[0]!.split(url).join(where)
  return ` (${line.slice(0, 200)})`
}

const classify = (status: number, host: string, where: string, body: string, hint: RateLimitHint | undefined): SourceError => {
  const retryAfterMs = waitAskedMs(hint) ?? hint?.retryAfterMs
  const detail = body.replace(/\s+/g, " ").slice(0, 160)
  const base = { host, status, message: `${where} answered HTTP ${status}: ${detail}`, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) }
  if (status === 429 || (status === 503 && retryAfterMs !== undefined)) return new SourceError({ reason: "RateLimited", ...base })
  if (status === 408 || status >= 500) return new SourceError({ reason: "Transient", ...base })
  return new SourceError({ reason: "Fatal", ...base })
}

/** What an answer holds: a failure for a non-2xx, a body that is not JSON or a check that refuses it. */
const readAnswer = (req: JsonRequest, host: string, where: string, status: number, headers: HeaderSource, text: string, nowMs: number) => {
  const hint = parseRateLimitHeaders(headers, nowMs)
  if (status < 200 || status >= 300) return Effect.fail(classify(status, host, where, text, hint))
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    // A cut body is a server fault: retry it.
    return Effect.fail(new SourceError({ reason: "Transient", host, message: `${where} sent a body that is not JSON (truncated?)` }))
  }
  const refused = req.check?.(json, where, host)
  return refused === undefined ? Effect.succeed<Answer>({ json, hint }) : Effect.fail(refused)
}

const hintOf = (a: Answer) => a.hint

/**
 * One attempt: the request under the governor's permit and --request-timeout, body parsed as JSON.
 * Written as a few combinators rather than a generator: this runs for every page of every unit.
 * Exported for callers with their own retry (the RPC pool moves a failed attempt to another URL).
 */
export const attemptJson = (
  req: JsonRequest,
  transport: HttpTransport["Type"],
  governor: Governor["Type"],
  timeout: Duration.Duration
): Effect.Effect<Answer, SourceError> => {
  const { host, where } = nameOf(req.url)
  const exchange = req.body === undefined ? { url: req.url } : { url: req.url, body: JSON.stringify(req.body) }
  const once = Effect.flatMap(transport.send(exchange), (reply) =>
    Effect.clockWith((clock) => readAnswer(req, host, where, reply.status, reply.headers, reply.text, clock.unsafeCurrentTimeMillis()))
  ).pipe(
    // Not the raw description: it may carry the full URL, keys included.
    Effect.catchTag("TransportError", (e) =>
      Effect.fail(new SourceError({ reason: "Transient", host, noAnswer: true, message: `${where}: Transport error${detailOf(e.description, req.url, where)}` }))
    ),
    Effect.timeoutFail({
      duration: timeout,
      onTimeout: () => new SourceError({ reason: "Timeout", host, message: `${where} did not answer within ${Duration.format(timeout)} (--request-timeout)` })
    })
  )
  return governor.withPermit(req.key ?? host, once, hintOf)
}

/** Full jitter, but never sooner than the server asked. */
export const backoffMs = (attemptIndex: number, error: SourceError, base: Duration.Duration, max: Duration.Duration) =>
  Effect.map(Random.next, (r) => {
    const cap = Math.min(Duration.toMillis(max), Duration.toMillis(base) * 2 ** attemptIndex)
    return Math.max(error.retryAfterMs ?? 0, Math.floor(r * cap))
  })

/**
 * GET (or POST with a JSON body) returning parsed JSON, over `transport` under `governor`. Retries
 * RateLimited / Transient / Timeout with exponential backoff and full jitter, waiting at least
 * Retry-After, up to maxAttempts; other failures (4xx) fail at once. The last error names the URL
 * (redacted) and the attempts made. RequestPolicy is read from the caller's context on each request.
 */
export const makeRequester =
  (transport: HttpTransport["Type"], governor: Governor["Type"]) =>
  (req: JsonRequest): Effect.Effect<unknown, SourceError> =>
    Effect.flatMap(RequestPolicy, (policy) => {
      const once = Effect.map(attemptJson(req, transport, governor, policy.timeout), (a) => a.json)
      const delayed = Duration.toMillis(policy.delay) > 0 ? Effect.zipRight(waiting(Effect.sleep(policy.delay)), once) : once
      const retry = (n: number, error: SourceError): Effect.Effect<unknown, SourceError> => {
        if (!isRetryable(error)) return Effect.fail(error)
        if (n + 1 >= policy.maxAttempts) {
          return Effect.fail(n === 0 ? error : new SourceError({ ...error, message: `${error.message} (gave up after ${n + 1} attempts)` }))
        }
        return Effect.flatMap(backoffMs(n, error, policy.baseBackoff, policy.maxBackoff), (wait) =>
          Effect.logDebug(`retrying in ${wait} ms: ${error.message}`).pipe(
            Effect.zipRight(waiting(Effect.sleep(Duration.millis(wait)))),
            Effect.zipRight(Effect.catchAll(delayed, (next) => retry(n + 1, next)))
          )
        )
      }
      return Effect.catchAll(delayed, (error) => retry(0, error))
    })

/** `makeRequester` with the transport and governor of the context. */
export const requestJson = (req: JsonRequest): Effect.Effect<unknown, SourceError, HttpTransport | Governor> =>
  Effect.flatMap(HttpTransport, (transport) => Effect.flatMap(Governor, (governor) => makeRequester(transport, governor)(req)))
