import { parse } from "graphql"
import { describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import { graphqlErrorOf, nextFillCursor, OrderFilledEvent, orderFilledQuery, readOrderFilledEvent } from "../../src/domain/goldsky.js"

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

describe("readOrderFilledEvent, the hot-path check", () => {
  const valid: Record<string, unknown> = {
    id: "0x" + "ab".repeat(32) + "_0x" + "cd".repeat(32),
    transactionHash: "0x" + "AB".repeat(32),
    timestamp: "1777000000",
    orderHash: "0x" + "12".repeat(32),
    maker: "0x" + "34".repeat(20),
    taker: "0x" + "56".repeat(20),
    makerAssetId: "0",
    takerAssetId: TOKENS[0],
    makerAmountFilled: "1000000",
    takerAmountFilled: "2000000",
    fee: "0"
  }
  const mutations: ReadonlyArray<unknown> = [undefined, null, 12, 1777000000, "", "0x12", "-1", "1.5", "x".repeat(79), "9".repeat(79), " 1", {}, []]

  it("accepts exactly what the OrderFilledEvent schema accepts, field by field", () => {
    const cases: Array<unknown> = [valid, null, "row", 3, [], { ...valid, extra: true }]
    for (const field of Object.keys(valid)) {
      for (const value of mutations) cases.push({ ...valid, [field]: value })
      const { [field]: _, ...without } = valid
      cases.push(without)
    }
    const is = Schema.is(OrderFilledEvent)
    const disagreements = cases.filter((c) => (readOrderFilledEvent(c) !== undefined) !== is(c))
    expect(disagreements).toEqual([])
    expect(cases.filter((c) => readOrderFilledEvent(c) !== undefined).length).toBeGreaterThan(3)
  })
})
