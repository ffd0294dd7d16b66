import { describe, expect, it } from "@effect/vitest"
import type { BackfillUnitRow } from "../../src/domain/tables.js"
import { fillsCoverage, formatFillsCoverage } from "../../src/streams/fillsCoverage.js"

const HEAD = 1_777_334_398 // 2026-04-27T23:59:58Z, where the simulated subgraph stops
const unit = (key: string, status: BackfillUnitRow["status"], window: { from?: number; to?: number }, head: number | undefined): BackfillUnitRow => ({
  job: "fills", unit_key: key, shard_hash: 1, status, attempts: 1, rows: 1, error_message: "", run_id: "r", last_run_at: 0, version: 1,
  payload: JSON.stringify({ conditionId: key, tokenIds: ["1"], ...window }),
  cursor: JSON.stringify({ ts: "5", ...(head === undefined ? {} : { head: String(head) }) })
})

describe("fills coverage past the subgraph's head", () => {
  it("counts done markets whose trading window reaches past the head, and the share of trading time past it", () => {
    const units = [
      unit("before", "done", { from: HEAD - 1000, to: HEAD - 10 }, HEAD),
      unit("across", "done", { from: HEAD - 300, to: HEAD + 100 }, HEAD),
      unit("open", "done", { from: HEAD + 50 }, HEAD),
      unit("pending", "pending", { from: HEAD, to: HEAD + 10_000 }, HEAD),
      unit("no head", "done", { from: 0, to: HEAD + 10 }, undefined)
    ]
    const c = fillsCoverage(units, HEAD + 150)
    expect(c).toEqual({ markets: 3, head: HEAD, pastHead: 2, pastSeconds: 100 + 100, windowSeconds: 990 + 400 + 100 })
    expect(formatFillsCoverage(c)).toEqual([
      "the subgraph answered up to 2026-04-27T23:59:58Z: 2 of 3 done markets (67%) traded past it, 13% of their trading time; " +
        "`polybackfill plan onchain` and `polybackfill run onchain` read those fills from the chain"
    ])
    expect(formatFillsCoverage(fillsCoverage([], 0))).toEqual([])
  })
})
