import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { decodeFillCursor, decodeMarketsCursor, encodeFillCursor, encodeMarketsCursor, FILLS_START } from "../../src/domain/cursors.js"

describe("unit cursors", () => {
  it("fills cursors round-trip, inside a timestamp or not, and '' is the start", () => {
    for (const c of [{ ts: "0" }, { ts: "1777000000" }, { ts: "1777000000", stickyId: `0x${"a".repeat(64)}_0x${"b".repeat(64)}` }]) {
      expect(Either.getOrThrow(decodeFillCursor(encodeFillCursor(c)))).toEqual(c)
    }
    expect(Either.getOrThrow(decodeFillCursor(""))).toEqual(FILLS_START)
  })

  it("markets cursors round-trip as Gamma's own next_cursor, and '' is the first page", () => {
    for (const c of ["MjAw", "eyJpZCI6MjIyOTY4Nn0=", "abc_-.:"]) expect(Either.getOrThrow(decodeMarketsCursor(encodeMarketsCursor(c)))).toBe(c)
    expect(Either.getOrThrow(decodeMarketsCursor(""))).toBe("")
  })

  it("an edited or foreign cursor is refused with one line saying how to recover", () => {
    for (const bad of ["{", '{"ts":"x"}', '{"ts":"1","stickyId":"a\\" } evil"}', "17"]) {
      const r = decodeFillCursor(bad)
      expect(Either.isLeft(r)).toBe(true)
      if (Either.isLeft(r)) {
        expect(r.left).toMatch(/^unreadable fills cursor .*polybackfill plan fills --rebuild/)
        expect(r.left).not.toMatch(/\n/)
      }
    }
    expect(Either.isLeft(decodeMarketsCursor("has space"))).toBe(true)
  })
})
