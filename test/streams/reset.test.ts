import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { newUnit } from "../../src/domain/units.js"
import { layerMemory, MemoryUnits } from "../../src/layers/UnitStoreMemory.js"
import { UnitStore } from "../../src/services/UnitStore.js"
import { formatReset, resetUnits } from "../../src/streams/reset.js"

describe("reset <job> --status", () => {
  it.effect("puts only the units in that status (and that key) back to pending at their cursor, and says which", () =>
    Effect.gen(function* () {
      const store = yield* UnitStore
      yield* store.save([
        { ...newUnit("trades", "0xa", "{}"), status: "error", cursor: "{\"to\":5}", error_message: "Data-API answered HTTP 400: bad" },
        { ...newUnit("trades", "0xb", "{}"), status: "error" },
        { ...newUnit("trades", "0xc", "{}"), status: "in_progress", run_id: "dead" },
        { ...newUnit("trades", "0xd", "{}"), status: "done" },
        { ...newUnit("fills", "0xa", "{}"), status: "error" }
      ])
      const one = yield* resetUnits("trades", "error", "0xa")
      expect(formatReset(one, "0xa")).toEqual([
        "trades: 1 unit from error back to pending:",
        "  0xa: error -> pending (resumes from its cursor); was: Data-API answered HTTP 400: bad"
      ])
      const after = new Map((yield* store.load("trades")).map((u) => [u.unit_key, u]))
      expect(after.get("0xa")).toMatchObject({ status: "pending", cursor: "{\"to\":5}", error_message: "", run_id: "" })
      expect(after.get("0xb")!.status).toBe("error")
      expect((yield* store.load("fills"))[0]!.status).toBe("error")
      const stuck = yield* resetUnits("trades", "in_progress", undefined)
      expect(stuck.units.map((u) => u.unitKey)).toEqual(["0xc"])
      expect(formatReset(yield* resetUnits("trades", "in_progress", undefined), undefined)).toEqual(["trades: no unit in in_progress: nothing changed"])
    }).pipe(Effect.provide(layerMemory(new MemoryUnits()))))
})
