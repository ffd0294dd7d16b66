import { describe, expect, it } from "@effect/vitest"
import { classifyRpcError, jsonRpcErrorOf } from "../../src/domain/rpcErrors.js"

// The texts of polymarket-sources.md §4 "eth_getLogs limits by provider", as the providers send them.
const INFURA_RESULTS = "query returned more than 10000 results. Try with this block range [0x4f1a2b0, 0x4f1a3c7]."
const INFURA_RANGE = "range 1000000 exceeds limit of 10000"
const POLYGON_PUBLIC = "eth_getLogs block range too large, range: 99991, max: 3500"
const ALCHEMY =
  "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on the response size, or you can request any block range with a cap of 10K logs in the response."

describe("classifyRpcError: range refusals", () => {
  it("Infura -32005 result cap: the suggested range's end", () => {
    expect(classifyRpcError({ code: -32005, message: INFURA_RESULTS })).toEqual({ kind: "Range", suggestedToBlock: 0x4f1a3c7 })
  })

  it("Infura -32602 range cap: the limit", () => {
    expect(classifyRpcError({ code: -32602, message: INFURA_RANGE })).toEqual({ kind: "Range", maxRange: 10000 })
  })

  it("Polygon public RPC: the max", () => {
    expect(classifyRpcError({ code: -32000, message: POLYGON_PUBLIC })).toEqual({ kind: "Range", maxRange: 3500 })
  })

  it("Alchemy's response size (-32602): the 2K block range", () => {
    expect(classifyRpcError({ code: -32602, message: ALCHEMY })).toEqual({ kind: "Range", maxRange: 2000 })
  })

  it("Alchemy's newer text with a range that should work", () => {
    const text = `${ALCHEMY} Based on your parameters and the response size limit, this block range should work: [0x384b2f0, 0x384b5cf]`
    expect(classifyRpcError({ code: -32602, message: text })).toEqual({ kind: "Range", suggestedToBlock: 0x384b5cf, maxRange: 2000 })
  })

  it("generic too-many-results and response-size texts, without hints", () => {
    expect(classifyRpcError({ code: -32000, message: "too many results" })).toEqual({ kind: "Range" })
    expect(classifyRpcError({ code: -32603, message: "response size exceeded" })).toEqual({ kind: "Range" })
    expect(classifyRpcError({ code: -32000, message: "eth_getLogs and eth_newFilter are limited to a 10,000 blocks range" })).toEqual({
      kind: "Range",
      maxRange: 10000
    })
  })

  it("the simulator's own texts", () => {
    expect(classifyRpcError({ code: -32005, message: "query returned more than 50 results. Try with this block range [0x10, 0x1f]." })).toEqual({
      kind: "Range",
      suggestedToBlock: 0x1f
    })
    expect(classifyRpcError({ code: -32602, message: "eth_getLogs block range too large, range: 200, max: 100" })).toEqual({ kind: "Range", maxRange: 100 })
  })
})

describe("classifyRpcError: other errors", () => {
  it("internal errors, header not found and timeouts are transient", () => {
    expect(classifyRpcError({ code: -32603, message: "internal error" }).kind).toBe("Transient")
    expect(classifyRpcError({ code: -32603, message: "upstream unavailable" }).kind).toBe("Transient")
    expect(classifyRpcError({ code: -32000, message: "header not found" }).kind).toBe("Transient")
    expect(classifyRpcError({ code: -32000, message: "request timed out" }).kind).toBe("Transient")
  })

  it("rate limits, including Infura's -32005 quota", () => {
    expect(classifyRpcError({ code: 429, message: "Too many requests: rate limit exceeded" }).kind).toBe("RateLimited")
    expect(classifyRpcError({ code: -32005, message: "daily request count exceeded, request rate limited" }).kind).toBe("RateLimited")
    expect(classifyRpcError({ code: -32005, message: "limit exceeded" }).kind).toBe("RateLimited")
  })

  it("unknown methods, invalid requests and invalid params are fatal", () => {
    expect(classifyRpcError({ code: -32601, message: "the method eth_foo does not exist/is not available" }).kind).toBe("Fatal")
    expect(classifyRpcError({ code: -32600, message: "invalid request" }).kind).toBe("Fatal")
    expect(classifyRpcError({ code: -32602, message: "invalid argument 0: hex string without 0x prefix" }).kind).toBe("Fatal")
  })
})

describe("jsonRpcErrorOf", () => {
  it("reads the error member of an answer, and nothing from a result", () => {
    expect(jsonRpcErrorOf({ jsonrpc: "2.0", id: 1, error: { code: -32005, message: "x" } })).toEqual({ code: -32005, message: "x" })
    expect(jsonRpcErrorOf({ jsonrpc: "2.0", id: 1, result: [] })).toBeUndefined()
    expect(jsonRpcErrorOf({ jsonrpc: "2.0", id: 1, error: "boom" })).toEqual({ code: 0, message: "boom" })
    expect(jsonRpcErrorOf(null)).toBeUndefined()
  })
})
