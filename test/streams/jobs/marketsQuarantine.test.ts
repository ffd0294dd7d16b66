import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { profileKnobs } from "../../../src/simulator/index.js"
import { marketsJob } from "../../../src/streams/jobs/markets.js"
import { useSimulator } from "../../simulator/support.js"
import { fetchAll, layerSimSources, rowsOf } from "./support.js"

describe("markets job with malformed pages", () => {
  const ctx = useSimulator({
    world: { seed: 3, markets: 60, wallets: 10, from: "2026-04-01", to: "2026-05-01", fills: 200 },
    knobs: { faults: { ...profileKnobs("none").faults, malformedRate: 1 } }
  })

  it.live("quarantines each bad market object with its reason and raw payload, and keeps the rest of the page", () =>
    Effect.gen(function* () {
      const pages = yield* fetchAll(marketsJob, "closed", JSON.stringify({ closed: true }))
      const quarantined = pages.flatMap((p) => p.quarantine)
      const kept = rowsOf(pages, "markets")
      const closedCount = Array.from({ length: ctx.sim.world.marketCount }, (_, i) => ctx.sim.world.closed(i)).filter(Boolean).length
      expect(quarantined).toHaveLength(pages.length)
      expect(kept.length).toBeGreaterThan(0)
      expect(quarantined.length + kept.length).toBe(closedCount)
      for (const q of quarantined) {
        expect(q.source).toBe("gamma")
        expect(q.reason).toMatch(/^malformed market: \S+/)
        expect(q.reason).not.toMatch(/\n/)
        expect(() => JSON.parse(q.raw)).not.toThrow()
      }
    }).pipe(Effect.provide(layerSimSources(() => ctx.sim))))
})
