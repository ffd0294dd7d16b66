import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Exit } from "effect"
import { layerGovernorFromOptions, validateGovernorOptions } from "../../src/layers/GovernorFromOptions.js"
import { Governor } from "../../src/services/Governor.js"

describe("validateGovernorOptions", () => {
  it("auto defaults to min 1, max 256 and a small cold start", () => {
    expect(validateGovernorOptions({ workers: "auto" })).toEqual(Either.right({ mode: "auto", initial: 8, min: 1, max: 256 }))
    expect(validateGovernorOptions({ workers: "auto", min: 300 })).toEqual(Either.right({ mode: "auto", initial: 300, min: 300, max: 300 }))
  })

  it("--workers N pins, and carries --rps", () => {
    expect(validateGovernorOptions({ workers: 16, rps: 50 })).toEqual(Either.right({ mode: "fixed", workers: 16, rps: 50 }))
  })

  it("refuses bad values with one line naming the flag and the fix", () => {
    const message = (o: Parameters<typeof validateGovernorOptions>[0]) =>
      Either.match(validateGovernorOptions(o), { onLeft: (e) => e.message, onRight: () => "accepted" })
    expect(message({ workers: 0 })).toBe("--workers must be a whole number of at least 1, got 0: e.g. --workers 8")
    expect(message({ workers: "auto", min: 2.5 })).toMatch(/^--min-workers must be a whole number/)
    expect(message({ workers: "auto", min: 64, max: 32 })).toBe("--min-workers 64 is above --max-workers 32: lower --min-workers or raise --max-workers")
    expect(message({ workers: "auto", rps: -1 })).toMatch(/^--rps must be a positive number/)
  })
})

describe("layerGovernorFromOptions", () => {
  it.effect("builds a pinned governor for --workers N", () =>
    Effect.gen(function* () {
      const governor = yield* Governor
      yield* governor.withPermit("h.example", Effect.void)
      const [snap] = yield* governor.snapshot
      expect(snap!.limit).toBe(12)
    }).pipe(Effect.provide(layerGovernorFromOptions({ workers: 12 }))))

  it.effect("fails to build with the usage error", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(Effect.provide(Governor, layerGovernorFromOptions({ workers: "auto", min: 9, max: 3 })))
      expect(Exit.isFailure(exit)).toBe(true)
    }))
})
