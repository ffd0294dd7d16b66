import { describe, expect, it } from "@effect/vitest"
import { keysetUrl } from "../../../src/layers/GammaSourceLive.js"

describe("the Gamma keyset URL", () => {
  it("always sends closed, pages with after_cursor (never cursor=, which Gamma ignores), and encodes the cursor", () => {
    const first = new URL(keysetUrl("https://gamma-api.polymarket.com/", { closed: false, afterCursor: "", limit: 500 }))
    expect(first.pathname).toBe("/markets/keyset")
    expect([...first.searchParams]).toEqual([["closed", "false"], ["limit", "500"]])
    const next = new URL(keysetUrl("https://gamma-api.polymarket.com", { closed: true, afterCursor: "eyJpZCI6Mn0=+/", limit: 100 }))
    expect(next.searchParams.get("closed")).toBe("true")
    expect(next.searchParams.get("after_cursor")).toBe("eyJpZCI6Mn0=+/")
    expect(next.searchParams.has("cursor")).toBe(false)
  })
})
