import { HttpClient, HttpClientRequest } from "@effect/platform"
import { Clock, Duration, Effect, Random } from "effect"
import { SourceError, isRetryable } from "../../domain/errors.js"
import { parseRateLimitHeaders, waitAskedMs } from "../../domain/rateLimitHeaders.js"
import type { RateLimitHint } from "../../domain/rateLimitHeaders.js"
import { redactUrl } from "../../domain/redact.js"
import { Governor } from "../../services/Governor.js"
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
}

interface Answer {
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

/** One attempt: the request under the governor's permit and --request-timeout, body parsed as JSON. */
const attempt = (req: JsonRequest) =>
  Effect.gen(function* () {
    const client = yield* HttpClient.HttpClient
    const governor = yield* Governor
    const policy = yield* RequestPolicy
    const host = hostOf(req.url)
    const where = redactUrl(req.url)
    const request =
      req.body === undefined
        ? HttpClientRequest.get(req.url)
        : HttpClientRequest.post(req.url).pipe(HttpClientRequest.bodyUnsafeJson(req.body))
    const once = Effect.gen(function* () {
      const response = yield* client.execute(request.pipe(HttpClientRequest.acceptJson))
      const text = yield* response.text
      const hint = parseRateLimitHeaders(response.headers, yield* Clock.currentTimeMillis)
      if (response.status < 200 || response.status >= 300) return yield* Effect.fail(classify(response.status, host, where, text, hint))
      const json = yield* Effect.try({
        try: () => JSON.parse(text) as unknown,
        // A cut body is a server fault: retry it.
        catch: () => new SourceError({ reason: "Transient", host, message: `${where} sent a body that is not JSON (truncated?)` })
      })
      const refused = req.check?.(json, where, host)
      if (refused !== undefined) return yield* Effect.fail(refused)
      return { json, hint } satisfies Answer
    }).pipe(
      Effect.scoped,
      // Not e.message: it carries the full URL, keys included.
      Effect.catchTag("RequestError", "ResponseError", (e) =>
        Effect.fail(new SourceError({ reason: "Transient", host, message: `${where}: ${e.reason} error${detailOf(e.description, req.url, where)}` }))
      ),
      Effect.timeoutFail({
        duration: policy.timeout,
        onTimeout: () =>
          new SourceError({ reason: "Timeout", host, message: `${where} did not answer within ${Duration.format(policy.timeout)} (--request-timeout)` })
      })
    )
    return yield* governor.withPermit(host, once, (a: Answer) => a.hint)
  })

/** Full jitter, but never sooner than the server asked. */
export const backoffMs = (attemptIndex: number, error: SourceError, base: Duration.Duration, max: Duration.Duration) =>
  Effect.map(Random.next, (r) => {
    const cap = Math.min(Duration.toMillis(max), Duration.toMillis(base) * 2 ** attemptIndex)
    return Math.max(error.retryAfterMs ?? 0, Math.floor(r * cap))
  })

/**
 * GET (or POST with a JSON body) returning parsed JSON. Retries RateLimited / Transient / Timeout
 * with exponential backoff and full jitter, waiting at least Retry-After, up to maxAttempts; other
 * failures (4xx) fail at once. The last error names the URL (redacted) and the attempts made.
 */
export const requestJson = (req: JsonRequest) =>
  Effect.gen(function* () {
    const policy = yield* RequestPolicy
    for (let n = 0; ; n++) {
      if (Duration.toMillis(policy.delay) > 0) yield* waiting(Effect.sleep(policy.delay))
      const result = yield* Effect.either(attempt(req))
      if (result._tag === "Right") return result.right.json
      const error = result.left
      if (!isRetryable(error)) return yield* Effect.fail(error)
      if (n + 1 >= policy.maxAttempts) {
        return yield* Effect.fail(new SourceError({ ...error, message: `${error.message} (gave up after ${n + 1} attempts)` }))
      }
      const wait = yield* backoffMs(n, error, policy.baseBackoff, policy.maxBackoff)
      yield* Effect.logDebug(`retrying in ${wait} ms: ${error.message}`)
      yield* waiting(Effect.sleep(Duration.millis(wait)))
    }
  })
