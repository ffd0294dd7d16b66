import { describe, expect, it } from "@effect/vitest"
import { grownSpan, narrowedSpan } from "../../src/domain/logRange.js"

describe("log range span", () => {
  it("takes the provider's suggested end when it narrows the range", () => {
    expect(narrowedSpan({ fromBlock: 100, toBlock: 1099, suggestedToBlock: 399 })).toBe(300)
  })
  it("takes the provider's maximum range when it states one", () => {
    expect(narrowedSpan({ fromBlock: 0, toBlock: 99_990, maxRange: 3500 })).toBe(3500)
  })
  it("halves otherwise, and when a suggestion does not narrow", () => {
    expect(narrowedSpan({ fromBlock: 10, toBlock: 19 })).toBe(5)
    expect(narrowedSpan({ fromBlock: 10, toBlock: 19, suggestedToBlock: 30 })).toBe(5)
    expect(narrowedSpan({ fromBlock: 10, toBlock: 19, suggestedToBlock: 5 })).toBe(5)
  })
  it("never goes below one block, and a refused single block has nowhere to go", () => {
    expect(narrowedSpan({ fromBlock: 7, toBlock: 8 })).toBe(1)
    expect(narrowedSpan({ fromBlock: 7, toBlock: 7 })).toBeUndefined()
  })
  it("doubles until a refusal was seen, then grows by a quarter (at least one block), up to the maximum", () => {
    expect(grownSpan(1000, false)).toBe(2000)
    expect(grownSpan(1, true)).toBe(2)
    expect(grownSpan(400, true)).toBe(500)
    expect(grownSpan(90_000, true, 100_000)).toBe(100_000)
    expect(grownSpan(90_000, false, 100_000)).toBe(100_000)
  })
})
