import { describe, expect, it } from "@effect/vitest"
import type { BackfillUnitRow } from "../../src/domain/tables.js"
import { inShard, newUnit, parseShard, planChange, selectUnits, shardHash } from "../../src/domain/units.js"

const row = (key: string, over: Partial<BackfillUnitRow> = {}): BackfillUnitRow => ({ ...newUnit("fills", key, "{}"), version: 1, ...over })
const base = { retryErrors: false, shard: { index: 0, count: 1 }, skip: 0, limit: undefined, since: undefined, until: undefined }

describe("shards", () => {
  it("the hash is stable (FNV-1a 32): every process and language agrees", () => {
    expect(shardHash("")).toBe(0x811c9dc5)
    expect(shardHash("a")).toBe(0xe40c292c)
    expect(shardHash("foobar")).toBe(0xbf9cf968)
  })

  it("shards i/N partition the units: each unit in exactly one, roughly evenly", () => {
    const keys = Array.from({ length: 3000 }, (_, i) => `0x${i.toString(16).padStart(64, "0")}`)
    const n = 7
    const counts = Array.from({ length: n }, () => 0)
    for (const k of keys) {
      const owners = Array.from({ length: n }, (_, i) => i).filter((i) => inShard({ index: i, count: n }, shardHash(k)))
      expect(owners).toHaveLength(1)
      counts[owners[0]!]!++
    }
    for (const c of counts) expect(c).toBeGreaterThan(3000 / n / 2)
  })

  it("--shard parses i/N and refuses anything else with the fix", () => {
    expect(parseShard("2/5")).toEqual({ index: 2, count: 5 })
    expect(parseShard("5/5")).toMatch(/between 0 and N-1/)
    expect(parseShard("two")).toMatch(/--shard must look like i\/N/)
  })
})

describe("plan", () => {
  it("again: adds only new units and keeps every existing unit untouched", () => {
    const existing = [row("a", { status: "done", rows: 10, cursor: "x" }), row("b", { status: "error", error_message: "boom" })]
    const change = planChange("fills", existing, [{ unitKey: "a", payload: "{}" }, { unitKey: "b", payload: "{}" }, { unitKey: "c", payload: "{}" }], false)
    expect(change.writes.map((w) => w.unit_key)).toEqual(["c"])
    expect(change).toMatchObject({ added: 1, kept: 2, discardedDone: 0, total: 3 })
  })

  it("--rebuild: every unit back to pending, counting the done ones it discards", () => {
    const existing = [row("a", { status: "done", rows: 10, cursor: "x", attempts: 2 }), row("gone", { status: "done" })]
    const change = planChange("fills", existing, [{ unitKey: "a", payload: "{}" }, { unitKey: "c", payload: "{}" }], true)
    expect(change.discardedDone).toBe(2)
    expect(change.writes.map((w) => [w.unit_key, w.status, w.rows, w.cursor, w.attempts]).sort()).toEqual([
      ["a", "pending", 0, "", 0],
      ["c", "pending", 0, "", 0],
      ["gone", "pending", 0, "", 0]
    ])
  })
})

describe("selection", () => {
  const units = [
    row("a"),
    row("b", { status: "done" }),
    row("c", { status: "in_progress", run_id: "dead" }),
    row("d", { status: "error" }),
    row("e", { status: "in_progress", run_id: "alive" })
  ]

  it("pending and in_progress units (of dead runs), errors only with --retry-errors, in key order", () => {
    expect(selectUnits(units, { ...base, liveRuns: new Set(["alive"]) }).map((u) => u.unit_key)).toEqual(["a", "c"])
    expect(selectUnits(units, { ...base, retryErrors: true, liveRuns: new Set(["alive"]) }).map((u) => u.unit_key)).toEqual(["a", "c", "d"])
  })

  it("--skip then --limit", () => {
    const many = Array.from({ length: 10 }, (_, i) => row(`k${i}`))
    expect(selectUnits(many, { ...base, skip: 3, limit: 2 }).map((u) => u.unit_key)).toEqual(["k3", "k4"])
  })

  it("--since/--until keep the units whose span overlaps the window", () => {
    const spans: Record<string, { from: number; to: number }> = { a: { from: 0, to: 99 }, c: { from: 100, to: 200 } }
    const span = (u: BackfillUnitRow) => spans[u.unit_key]
    expect(selectUnits(units, { ...base, since: 100 }, span).map((u) => u.unit_key)).toEqual(["c", "e"])
    expect(selectUnits(units, { ...base, until: 100 }, span).map((u) => u.unit_key)).toEqual(["a", "e"])
  })

  it("a shard takes only its units", () => {
    const many = Array.from({ length: 50 }, (_, i) => row(`k${i}`))
    const zero = selectUnits(many, { ...base, shard: { index: 0, count: 2 } })
    const one = selectUnits(many, { ...base, shard: { index: 1, count: 2 } })
    expect(zero.length + one.length).toBe(50)
    expect(zero.some((u) => one.includes(u))).toBe(false)
  })
})
