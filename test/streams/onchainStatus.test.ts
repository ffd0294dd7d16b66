import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { BackfillUnitRow } from "../../src/domain/tables.js"
import { layerMemory, MemoryUnits } from "../../src/layers/UnitStoreMemory.js"
import { onchainStatusLines } from "../../src/streams/onchainStatus.js"

const day = (key: string, status: BackfillUnitRow["status"], counts: Record<string, number> | undefined, attempts = 1): BackfillUnitRow => ({
  job: "onchain", unit_key: key, shard_hash: 1, status, attempts, rows: 0, error_message: "", run_id: "r", last_run_at: 0, version: 1,
  payload: JSON.stringify({ day: key, from: 1, to: 2 }),
  cursor: counts === undefined ? "" : JSON.stringify({ next: 3, span: 1000, capSeen: false, counts, kinds: ["fills", "transfers", "resolutions"] })
})

describe("status onchain", () => {
  it("totals per kind from the days' cursors, each day not done, and each RPC URL with its key hidden", () =>
    Effect.gen(function* () {
      const store = new MemoryUnits()
      store.rows.push(
        day("2026-04-27", "done", { fills: 10, erc1155: 4, erc20: 7, resolutions: 1 }),
        day("2026-04-28", "error", { fills: 5, erc1155: 0, erc20: 2, resolutions: 0 }, 4),
        day("2026-04-29", "pending", undefined)
      )
      const health = [
        { run_id: "abc", url: "https://polygon.example/v2/***", workers_limit: 32, latency_ms: 81.4, share: 0.75, failures: 0, set_aside: 0, requests: 120, updated_at: 0 },
        { run_id: "abc", url: "https://other.example/?apikey=***", workers_limit: 1, latency_ms: 0, share: 0.25, failures: 9, set_aside: 1, requests: 40, updated_at: 0 }
      ]
      const lines = yield* onchainStatusLines(health).pipe(Effect.provide(layerMemory(store)))
      expect(lines).toEqual([
        "  rows by kind: fills 15 · erc1155 4 · erc20 9 · resolutions 1",
        "  days (every day not done, and the 1 latest done):",
        "    2026-04-27 done        attempts 1 · fills 10 · erc1155 4 · erc20 7 · resolutions 1",
        "    2026-04-28 error       attempts 4 · fills 5 · erc1155 0 · erc20 2 · resolutions 0",
        "    2026-04-29 pending     attempts 1 · no rows yet",
        "  RPC URLs (run abc, keys hidden):",
        "    https://polygon.example/v2/***  limit 32 · 81 ms · 75% of 120 requests · 0 failures",
        "    https://other.example/?apikey=***  set aside · limit 1 · 0 ms · 25% of 40 requests · 9 failures"
      ])
    }))
})
