import { describe, expect, it } from "@effect/vitest"
import { decodeFragments, encodeFragments, fragmentText, packFragments, rowsIn } from "../../src/domain/jsonRows.js"

const rows = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ id: from + i, s: `row "${from + i}"\n\\ é ✓`, x: 0.1 * (from + i) }))

describe("JSONEachRow fragments", () => {
  it("round-trip rows exactly, strings with quotes, newlines and backslashes included", () => {
    const original = rows(25)
    const fragments = encodeFragments(original, 10)
    expect(fragments.map((f) => f.rows)).toEqual([10, 10, 5])
    expect(decodeFragments(fragments)).toEqual(original)
    expect(encodeFragments([], 10)).toEqual([])
  })

  it("pack into inserts of at most the batch size, in order, and joined by commas they are one JSON array's contents", () => {
    const fragments = [...encodeFragments(rows(60), 100), ...encodeFragments(rows(190, 60), 100)]
    const packed = packFragments(fragments, 100)
    expect(packed.map(rowsIn)).toEqual([60, 100, 90])
    expect(packed.every((chunk) => rowsIn(chunk) <= 100)).toBe(true)
    const body = packed.flat().map(fragmentText).join(",")
    expect(JSON.parse(`[${body}]`)).toEqual(rows(250))
  })
})
