import { describe, expect, it } from "vitest"
import { parseRateLimitHeaders, parseRetryAfter, waitAskedMs } from "../../src/domain/rateLimitHeaders.js"

const now = Date.parse("2026-05-01T12:00:00Z")

describe("parseRetryAfter", () => {
  it("reads delta seconds, fractional seconds and HTTP dates", () => {
    expect(parseRetryAfter("7", now)).toBe(7000)
    expect(parseRetryAfter(" 1.5 ", now)).toBe(1500)
    expect(parseRetryAfter("Fri, 01 May 2026 12:00:30 GMT", now)).toBe(30_000)
  })

  it("never returns a negative wait for a date in the past, and ignores garbage", () => {
    expect(parseRetryAfter("Fri, 01 May 2026 11:00:00 GMT", now)).toBe(0)
    expect(parseRetryAfter("soon", now)).toBeUndefined()
    expect(parseRetryAfter("-3", now)).toBeUndefined()
    expect(parseRetryAfter(undefined, now)).toBeUndefined()
  })
})

describe("parseRateLimitHeaders", () => {
  it("reads IETF RateLimit-* (reset in delta seconds), case-insensitively", () => {
    expect(parseRateLimitHeaders({ "RateLimit-Limit": "300", "ratelimit-remaining": "12", "RateLimit-Reset": "4" }, now))
      .toEqual({ limit: 300, remaining: 12, resetMs: 4000 })
  })

  it("reads the combined RateLimit header of draft 7 and of later drafts", () => {
    expect(parseRateLimitHeaders({ ratelimit: "limit=100, remaining=5, reset=3" }, now)).toEqual({ limit: 100, remaining: 5, resetMs: 3000 })
    expect(parseRateLimitHeaders({ ratelimit: "\"default\";r=7;t=2" }, now)).toEqual({ remaining: 7, resetMs: 2000 })
  })

  it("reads Poly-RateLimit-* and X-RateLimit-* with epoch resets in seconds or milliseconds", () => {
    expect(parseRateLimitHeaders({ "poly-ratelimit-remaining": "0", "poly-ratelimit-reset": String(now / 1000 + 9) }, now))
      .toEqual({ remaining: 0, resetMs: 9000 })
    expect(parseRateLimitHeaders({ "x-ratelimit-limit": "60", "x-ratelimit-reset": String(now + 2500) }, now))
      .toEqual({ limit: 60, resetMs: 2500 })
    expect(parseRateLimitHeaders({ "x-ratelimit-remaining": "3", "x-ratelimit-reset-after": "0.25" }, now))
      .toEqual({ remaining: 3, resetMs: 250 })
  })

  it("takes the first number of a list-valued header and does not mix families", () => {
    expect(parseRateLimitHeaders({ "ratelimit-limit": "100, 100;w=60", "x-ratelimit-remaining": "1", "x-ratelimit-reset": "5" }, now))
      .toEqual({ limit: 100 })
  })

  it("adds Retry-After to any family, and works with a fetch Headers object", () => {
    const headers = new Headers({ "Retry-After": "10", "X-RateLimit-Remaining": "0" })
    expect(parseRateLimitHeaders(headers, now)).toEqual({ remaining: 0, retryAfterMs: 10_000 })
  })

  it("is undefined when the response says nothing usable", () => {
    expect(parseRateLimitHeaders({ "content-type": "application/json", "ratelimit-remaining": "lots" }, now)).toBeUndefined()
  })
})

describe("waitAskedMs", () => {
  it("prefers Retry-After, else the reset of an exhausted window", () => {
    expect(waitAskedMs({ retryAfterMs: 2000, remaining: 0, resetMs: 9000 })).toBe(2000)
    expect(waitAskedMs({ remaining: 0, resetMs: 9000 })).toBe(9000)
    expect(waitAskedMs({ remaining: 4, resetMs: 9000 })).toBeUndefined()
    expect(waitAskedMs(undefined)).toBeUndefined()
  })
})
