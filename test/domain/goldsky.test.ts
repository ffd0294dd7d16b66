import { parse } from "graphql"
import { describe, expect, it } from "@effect/vitest"
import { graphqlErrorOf, nextFillCursor, orderFilledQuery } from "../../src/domain/goldsky.js"

const TOKENS = ["4841891773" + "1".repeat(67), "149432021" + "2".repeat(67)]

describe("the orderFilledEvents query", () => {
  it("pages by timestamp_gt, with the cursor filter inside each branch of the or (graph-node refuses it beside or)", () => {
    const q = orderFilledQuery(TOKENS, { ts: "17" }, 1000)
    expect(() => parse(q.query)).not.toThrow()
    expect(q.query).toContain("orderBy: timestamp")
    expect(q.query).toContain("where: {or: [{timestamp_gt: $ts, makerAssetId_in: $tokens}, {timestamp_gt: $ts, takerAssetId_in: $tokens}]}")
    expect(q.variables).toEqual({ tokens: TOKENS, ts: "17", first: 1000 })
  })

  it("inside one timestamp pages by id_gt, ordered by id; values travel as variables, never in the text", () => {
    const q = orderFilledQuery(TOKENS, { ts: "17", stickyId: "0xab_0xcd" }, 5)
    expect(() => parse(q.query)).not.toThrow()
    expect(q.query).toContain("orderBy: id")
    expect(q.query).toContain("{timestamp: $ts, id_gt: $id, makerAssetId_in: $tokens}")
    expect(q.variables).toEqual({ tokens: TOKENS, ts: "17", id: "0xab_0xcd", first: 5 })
    expect(q.query).not.toContain("0xab")
    expect(q.query).not.toContain(TOKENS[0]!)
  })
})

describe("the sticky (timestamp, id) cursor", () => {
  it("a full page sticks on its last row, then moves past that timestamp when it is exhausted", () => {
    const full = nextFillCursor({ ts: "10" }, 1000, { id: "0xab_cd", timestamp: "17" })
    expect(full).toEqual({ ts: "17", stickyId: "0xab_cd" })
    expect(nextFillCursor(full!, 1000, { id: "0xzz", timestamp: "17" })).toEqual({ ts: "17", stickyId: "0xzz" })
    expect(nextFillCursor(full!, 3, { id: "0xzz", timestamp: "17" })).toEqual({ ts: "17" })
    expect(nextFillCursor(full!, 0, undefined)).toEqual({ ts: "17" })
  })

  it("a short page outside a timestamp completes the unit, an empty first page included", () => {
    expect(nextFillCursor({ ts: "17" }, 999, { id: "0x1", timestamp: "20" })).toBeUndefined()
    expect(nextFillCursor({ ts: "0" }, 0, undefined)).toBeUndefined()
    expect(nextFillCursor({ ts: "0" }, 5, { id: "0x1", timestamp: "20" }, 5)).toEqual({ ts: "20", stickyId: "0x1" })
  })
})

describe("GraphQL errors", () => {
  it("timeouts and overloads may pass; a bad query will not", () => {
    expect(graphqlErrorOf({ data: { orderFilledEvents: [] } })).toBeUndefined()
    expect(graphqlErrorOf({ errors: [{ message: "Query timed out" }] })).toEqual({ message: "Query timed out", transient: true })
    expect(graphqlErrorOf({ errors: [{ message: "store error: canceling statement due to statement timeout" }] })?.transient).toBe(true)
    expect(graphqlErrorOf({ errors: [{ message: "Type `OrderFilledEvent_filter` has no field `foo`" }] })?.transient).toBe(false)
    expect(graphqlErrorOf({ errors: [{ message: "The `first` argument must be between 0 and 1000, but is 5000" }] })?.transient).toBe(false)
  })
})
