import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { afterCap, afterPage, decodeTradesCursor, encodeTradesCursor, firstWindow } from "../../src/domain/activityPaging.js"

describe("paging /activity past an untrusted offset cap", () => {
  it("a short first page ends the wallet; full pages move the offset and remember the oldest second read", () => {
    expect(afterPage(firstWindow(null), [30, 20], 2, 3, 0)).toBeUndefined()
    expect(afterPage(firstWindow(null), [30, 20, 20], 3, 3, 1)).toEqual({ to: null, first: 0, offset: 3, minTs: 20, atMin: 2, skipped: 1 })
  })

  it("the cap (a 400 past offset 0) narrows to [start, oldest second] from the rows already read there", () => {
    const w = { to: 100, first: 0, offset: 6, minTs: 40, atMin: 2, skipped: 0 }
    expect(afterCap(w)).toEqual({ to: 40, first: 2, offset: 2, minTs: 40, atMin: 2, skipped: 0 })
  })

  it("a short or empty page past a window's first request may be a silent cap: the narrowed window is asked, and its empty first page ends the wallet", () => {
    const w = { to: 100, first: 0, offset: 6, minTs: 50, atMin: 1, skipped: 0 }
    const next = afterPage(w, [50, 45], 2, 3, 0)
    expect(next).toEqual({ to: 45, first: 1, offset: 1, minTs: 45, atMin: 1, skipped: 0 })
    expect(afterPage(next as never, [], 0, 3, 0)).toBeUndefined()
    // Empty where a full page was expected: asked again in the narrowed window, not taken as the end.
    expect(afterPage(w, [], 0, 3, 0)).toEqual({ to: 50, first: 1, offset: 1, minTs: 50, atMin: 1, skipped: 0 })
    // A short first page of a narrowed window (it may start near the cap) is asked again too.
    expect(afterPage(next as never, [44], 1, 3, 0)).toEqual({ to: 44, first: 1, offset: 1, minTs: 44, atMin: 1, skipped: 0 })
  })

  it("more trades in one second than the cap lets through cannot be paged: the unit fails saying so", () => {
    // Every row read in this window is at its end second: the narrowed window would be the same request.
    const stuck = { to: 70, first: 0, offset: 9, minTs: 70, atMin: 9, skipped: 0 }
    expect(afterCap(stuck)).toBe("the Data-API refuses offset 9 and more than 9 trades share timestamp 70: a one-second window cannot be paged further")
  })

  it("rows out of newest-first order are refused, since offsets would skip trades", () => {
    expect(afterPage(firstWindow(null), [10, 20], 2, 3, 0)).toMatch(/out of newest-first order/)
  })

  it("cursors round-trip, and one of the other --api is refused", () => {
    const w = { to: 40, first: 2, offset: 2, minTs: 40, atMin: 2, skipped: 3 }
    expect(decodeTradesCursor(encodeTradesCursor(w), { api: "v1", to: null })).toEqual(Either.right(w))
    expect(Either.isLeft(decodeTradesCursor(encodeTradesCursor(w), { api: "v2", to: null }))).toBe(true)
    expect(decodeTradesCursor("", { api: "v1", to: 99 })).toEqual(Either.right(firstWindow(99)))
  })
})
