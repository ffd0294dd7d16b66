import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { resolveKinds, resolveLogRange, resolvePlanWindow } from "../../src/cli/onchainOptions.js"

const none = { fromDate: Option.none<string>(), toDate: Option.none<string>(), fromBlock: Option.none<number>(), toBlock: Option.none<number>() }
const message = <A>(e: Effect.Effect<A, { message: string }>) => Effect.map(Effect.flip(e), (x) => x.message)

describe("onchain plan and run flags", () => {
  it.effect("dates, blocks or the default window", () =>
    Effect.gen(function* () {
      expect(yield* resolvePlanWindow("onchain", none)).toEqual({ by: "default" })
      expect(yield* resolvePlanWindow("onchain", { ...none, fromDate: Option.some("2026-04-01"), toDate: Option.some("2026-05-31") })).toEqual({
        by: "dates", from: "2026-04-01", to: "2026-05-31"
      })
      expect(yield* resolvePlanWindow("onchain", { ...none, fromBlock: Option.some(10), toBlock: Option.some(20) })).toEqual({ by: "blocks", from: 10, to: 20 })
    }))

  it.effect("a bad window is one line naming the flag", () =>
    Effect.gen(function* () {
      expect(yield* message(resolvePlanWindow("onchain", { ...none, fromDate: Option.some("2026-02-30"), toDate: Option.some("2026-03-01") }))).toBe(
        '--from-date must be a UTC day like 2026-04-28, got "2026-02-30"'
      )
      expect(yield* message(resolvePlanWindow("onchain", { ...none, fromDate: Option.some("2026-03-02"), toDate: Option.some("2026-03-01") }))).toBe(
        "--to-date 2026-03-01 is before --from-date 2026-03-02"
      )
      expect(yield* message(resolvePlanWindow("onchain", { ...none, fromDate: Option.some("2026-03-02") }))).toMatch(/^--from-date and --to-date go together/)
      expect(yield* message(resolvePlanWindow("fills", { ...none, fromBlock: Option.some(1), toBlock: Option.some(2) }))).toMatch(/onchain job only, not fills$/)
    }))

  it.effect("--kinds: a subset in a fixed order, unknown kinds refused", () =>
    Effect.gen(function* () {
      expect(yield* resolveKinds("onchain", Option.none())).toEqual(["fills", "transfers", "resolutions"])
      expect(yield* resolveKinds("onchain", Option.some("resolutions, fills"))).toEqual(["fills", "resolutions"])
      expect(yield* message(resolveKinds("onchain", Option.some("fills,trades")))).toBe(
        '--kinds takes a comma-separated list of fills, transfers, resolutions, got "fills,trades"'
      )
      expect(yield* message(resolveKinds("markets", Option.some("fills")))).toBe("--kinds applies to the onchain job only, not markets")
    }))

  it.effect("--log-range and --max-log-range: defaults, a pinned span, and what is refused", () =>
    Effect.gen(function* () {
      const none = { logRange: Option.none<number>(), maxLogRange: Option.none<number>() }
      expect(yield* resolveLogRange("onchain", none)).toEqual({ initialSpan: 1000, maxSpan: 100_000 })
      expect(yield* resolveLogRange("onchain", { logRange: Option.some(1000), maxLogRange: Option.some(1000) })).toEqual({ initialSpan: 1000, maxSpan: 1000 })
      expect(yield* resolveLogRange("onchain", { ...none, maxLogRange: Option.some(10) })).toEqual({ initialSpan: 10, maxSpan: 10 })
      expect(yield* message(resolveLogRange("onchain", { ...none, logRange: Option.some(0) }))).toBe("--log-range must be a whole number of blocks of at least 1, got 0")
      expect(yield* message(resolveLogRange("onchain", { logRange: Option.some(50), maxLogRange: Option.some(10) }))).toBe("--log-range 50 is wider than --max-log-range 10")
      expect(yield* message(resolveLogRange("fills", { ...none, logRange: Option.some(5) }))).toMatch(/onchain job only, not fills$/)
    }))
})
