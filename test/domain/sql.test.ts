import { describe, expect, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import { JobName, UnitKey } from "../../src/domain/ids.js"
import type { SqlValue } from "../../src/domain/sql.js"
import { quote, sql, toSqlValue } from "../../src/domain/sql.js"

describe("quote", () => {
  it("quotes validated domain values", () => {
    const job = Schema.decodeSync(JobName)("fills")
    const key = Schema.decodeSync(UnitKey)("0xabc")
    expect(sql`SELECT 1 WHERE job = ${job} AND unit_key IN ${[key]} LIMIT ${10}`).toBe(
      "SELECT 1 WHERE job = 'fills' AND unit_key IN ('0xabc') LIMIT 10"
    )
  })
  it("refuses a hostile string even when forged past the type system", () => {
    expect(() => quote("x' OR 1=1 --" as unknown as SqlValue)).toThrow(/refused/)
  })
  it("refuses non-integer numbers", () => {
    expect(() => quote(1.5)).toThrow(/refused/)
    expect(() => quote(Number.NaN)).toThrow(/refused/)
  })
  it("validates untrusted input without throwing", () => {
    expect(Either.isLeft(toSqlValue("a'b"))).toBe(true)
    expect(Either.isLeft(toSqlValue("back\\slash"))).toBe(true)
    expect(toSqlValue(42)).toEqual(Either.right(42))
  })
})
