/**
 * What a server says about its rate limit, from the headers of any response (a 200 or a 429):
 * IETF `RateLimit-Limit/Remaining/Reset` (and the combined `RateLimit` header of later drafts),
 * `X-RateLimit-*`, Polymarket's `Poly-RateLimit-*`, and `Retry-After` (seconds or an HTTP date).
 */
export interface RateLimitHint {
  /** Requests allowed per window. */
  readonly limit?: number
  /** Requests left in the current window. */
  readonly remaining?: number
  /** Time until the window resets, ms. */
  readonly resetMs?: number
  /** Time the server asked us to wait, ms. */
  readonly retryAfterMs?: number
}

/** Node's IncomingHttpHeaders, @effect/platform Headers, or a fetch Headers object. */
export type HeaderSource =
  | Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
  | { readonly get: (name: string) => string | null }

const lookup = (headers: HeaderSource, name: string): string | undefined => {
  if (typeof headers.get === "function") {
    return (headers as { readonly get: (name: string) => string | null }).get(name) ?? undefined
  }
  const record = headers as Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
  const key = Object.keys(record).find((k) => k.toLowerCase() === name)
  const value = key === undefined ? undefined : record[key]
  return Array.isArray(value) ? value[0] : (value as string | undefined)
}

/** The first number of a header value ("100", "100, 100;w=60", " 2.5 "); undefined when there is none. */
const firstNumber = (value: string | undefined): number | undefined => {
  if (value === undefined) return undefined
  const match = /^\s*(\d+(?:\.\d+)?)\s*(?:[,;]|$)/.exec(value)
  return match === null ? undefined : Number(match[1])
}

const seconds = (s: number): number => Math.round(s * 1000)

/** Reset values are a delta in seconds, or (GitHub and others) an epoch in seconds or milliseconds. */
const resetToMs = (value: number, nowMs: number): number => {
  if (value > 1e12) return Math.max(0, value - nowMs)
  if (value > 1e9) return Math.max(0, seconds(value) - nowMs)
  return seconds(value)
}

/** Retry-After: delta seconds, or an HTTP date. Undefined when unreadable. */
export const parseRetryAfter = (value: string | undefined, nowMs: number): number | undefined => {
  if (value === undefined) return undefined
  const trimmed = value.trim()
  if (/^\d+(\.\d+)?$/.test(trimmed)) return seconds(Number(trimmed))
  if (!/[a-z]/i.test(trimmed)) return undefined
  const at = Date.parse(trimmed)
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs)
}

/** `RateLimit: limit=100, remaining=5, reset=3` (draft 7) or `RateLimit: "default";r=5;t=3` (draft 8+). */
const combined = (value: string | undefined): { limit?: number; remaining?: number; reset?: number } => {
  if (value === undefined) return {}
  const param = (names: ReadonlyArray<string>): number | undefined => {
    for (const name of names) {
      const match = new RegExp(`(?:^|[\\s,;])${name}=(\\d+(?:\\.\\d+)?)`, "i").exec(value)
      if (match !== null) return Number(match[1])
    }
    return undefined
  }
  const limit = param(["limit", "q"])
  const remaining = param(["remaining", "r"])
  const reset = param(["reset", "t"])
  return {
    ...(limit !== undefined ? { limit } : {}),
    ...(remaining !== undefined ? { remaining } : {}),
    ...(reset !== undefined ? { reset } : {})
  }
}

const PREFIXES = ["ratelimit-", "poly-ratelimit-", "x-ratelimit-"] as const

interface Family {
  readonly limit?: number | undefined
  readonly remaining?: number | undefined
  readonly resetMs?: number | undefined
}

const family = (headers: HeaderSource, prefix: string, nowMs: number): Family => {
  const after = firstNumber(lookup(headers, `${prefix}reset-after`))
  const at = firstNumber(lookup(headers, `${prefix}reset`))
  return {
    limit: firstNumber(lookup(headers, `${prefix}limit`)),
    remaining: firstNumber(lookup(headers, `${prefix}remaining`)),
    resetMs: after !== undefined ? seconds(after) : at !== undefined ? resetToMs(at, nowMs) : undefined
  }
}

const LIMIT_HEADER = /ratelimit|retry-after/i

/** Most answers carry no limit headers at all: one pass over the names instead of fourteen lookups. */
const mayMentionLimits = (headers: HeaderSource): boolean => {
  if (typeof headers.get === "function") return true
  for (const key in headers) if (LIMIT_HEADER.test(key)) return true
  return false
}

/**
 * The first family of headers that says anything wins (their reset conventions differ, so they are
 * not mixed); undefined when the response said nothing about its limits.
 */
export const parseRateLimitHeaders = (headers: HeaderSource, nowMs: number): RateLimitHint | undefined => {
  if (!mayMentionLimits(headers)) return undefined
  const both = combined(lookup(headers, "ratelimit"))
  const families: Array<Family> = [
    { limit: both.limit, remaining: both.remaining, resetMs: both.reset !== undefined ? seconds(both.reset) : undefined },
    ...PREFIXES.map((prefix) => family(headers, prefix, nowMs))
  ]
  const chosen = families.find((f) => f.limit !== undefined || f.remaining !== undefined || f.resetMs !== undefined) ?? {}
  const retryAfterMs = parseRetryAfter(lookup(headers, "retry-after"), nowMs)
  const hint: RateLimitHint = {
    ...(chosen.limit !== undefined ? { limit: chosen.limit } : {}),
    ...(chosen.remaining !== undefined ? { remaining: chosen.remaining } : {}),
    ...(chosen.resetMs !== undefined ? { resetMs: chosen.resetMs } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {})
  }
  return Object.keys(hint).length === 0 ? undefined : hint
}

/** How long a 429/503 asks us to wait: Retry-After, else the reset of an exhausted window. */
export const waitAskedMs = (hint: RateLimitHint | undefined): number | undefined =>
  hint === undefined
    ? undefined
    : hint.retryAfterMs ?? (hint.remaining === 0 ? hint.resetMs : undefined)
