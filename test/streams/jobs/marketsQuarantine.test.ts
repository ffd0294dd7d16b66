import { FetchHttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Layer, Stream } from "effect"
import { layerFixed } from "../../../src/layers/GovernorFixed.js"
import { profileKnobs } from "../../../src/simulator/index.js"
import { Sources } from "../../../src/services/Sources.js"
import { marketsJob } from "../../../src/streams/jobs/markets.js"
import { useSimulator } from "../../simulator/support.js"

describe("markets job with malformed pages", () => {
  const ctx = useSimulator({
    world: { seed: 3, markets: 60, wallets: 10, from: "2026-04-01", to: "2026-05-01", fills: 200 },
    knobs: { faults: { ...profileKnobs("none").faults, malformedRate: 1 } }
  })

  it.live("quarantines each bad market object with its reason and raw payload, and keeps the rest of the page", () =>
    Effect.gen(function* () {
      const pages = yield* marketsJob.fetch({ unitKey: "closed", payload: JSON.stringify({ closed: true }), cursor: "" }).pipe(
        Stream.runCollect,
        Effect.map(Chunk.toReadonlyArray)
      )
      const quarantined = pages.flatMap((p) => p.quarantine)
      const kept = pages.flatMap((p) => p.rows.filter((r) => r.table === "markets").flatMap((r) => r.rows))
      const closedCount = Array.from({ length: ctx.sim.world.marketCount }, (_, i) => ctx.sim.world.closed(i)).filter(Boolean).length
      expect(quarantined).toHaveLength(pages.length)
      expect(quarantined.length + kept.length).toBe(closedCount)
      for (const q of quarantined) {
        expect(q.source).toBe("gamma")
        expect(q.reason).toMatch(/^malformed market: /)
        expect(() => JSON.parse(q.raw)).not.toThrow()
      }
    }).pipe(
      Effect.provide(
        Layer.mergeAll(
          FetchHttpClient.layer,
          layerFixed(4),
          Layer.effect(Sources, Effect.sync(() => ({ gamma: ctx.sim.gammaUrl, dataApi: "", goldsky: "", rpc: [] })))
        )
      )
    ))
})
