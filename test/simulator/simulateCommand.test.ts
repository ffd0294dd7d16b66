import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { knobsOf, worldOf } from "../../src/cli/simulate.js"

const defaults = {
  logFormat: Option.none(),
  logFile: Option.none(),
  port: 0,
  seed: 42,
  markets: 50,
  wallets: 20,
  fills: Option.none(),
  from: "2026-04-01",
  to: "2026-05-01",
  profile: "none",
  latency: [],
  rateLimit: [],
  rateLimitSchedule: Option.none(),
  errorRate: Option.none(),
  hangRate: Option.none(),
  hangMs: Option.none(),
  malformedRate: Option.none(),
  truncatedRate: Option.none(),
  maxBlockRange: Option.none(),
  maxLogs: Option.none(),
  chainId: Option.none(),
  tradesOffsetMax: Option.none(),
  activityOffsetMax: Option.none(),
  goldskySkipMax: Option.none(),
  keysetLimitMax: Option.none()
} as const

describe("simulate command options", () => {
  it.effect("flags override the profile's knobs", () =>
    Effect.gen(function* () {
      const knobs = yield* knobsOf({
        ...defaults,
        profile: "realistic",
        latency: ["rpc=5..9"],
        rateLimit: ["data/trades=50/10s"],
        rateLimitSchedule: Option.some("gamma=0s:400,60s:200"),
        errorRate: Option.some(0.5),
        maxBlockRange: Option.some(3500),
        chainId: Option.some(80002)
      } as never)
      expect(knobs.latency.rpc).toEqual({ minMs: 5, maxMs: 9 })
      expect(knobs.latency.gamma.maxMs).toBeGreaterThan(0)
      expect(knobs.rateLimits).toEqual([{ family: "data", path: "/trades", limit: 50, windowMs: 10_000 }])
      expect(knobs.rateSchedule).toEqual({ families: ["gamma"], windowMs: 10_000, steps: [{ atMs: 0, limit: 400 }, { atMs: 60_000, limit: 200 }] })
      expect(knobs.faults.errorRate).toBe(0.5)
      expect(knobs.caps.rpcMaxBlockRange).toBe(3500)
      expect(knobs.caps.tradesOffsetMax).toBe(3500)
      expect(knobs.caps.rpcChainId).toBe(80002)
      expect((yield* knobsOf(defaults as never)).caps.rpcChainId).toBeUndefined()
    })
  )

  it.effect("bad values fail with one line naming the flag and the fix", () =>
    Effect.gen(function* () {
      const cases: Array<[Record<string, unknown>, RegExp]> = [
        [{ latency: ["fast"] }, /bad latency "fast".*"min\.\.max"/],
        [{ latency: ["web=1..2"] }, /unknown family "web" in --latency/],
        [{ rateLimit: ["trades=5"] }, /bad --rate-limit "trades=5": expected family\[\/path\]=limit\/window/],
        [{ rateLimitSchedule: Option.some("10s:5") }, /must start at 0s/],
        [{ errorRate: Option.some(2) }, /--error-rate must be between 0 and 1/]
      ]
      for (const [override, pattern] of cases) {
        const error = yield* Effect.flip(knobsOf({ ...defaults, ...override } as never))
        expect(error._tag).toBe("UsageError")
        expect(error.message).toMatch(pattern)
        expect(error.message.includes("\n")).toBe(false)
      }
      const day = yield* Effect.flip(worldOf({ ...defaults, from: "2026-02-30" } as never))
      expect(day.message).toBe('--from must be a day as YYYY-MM-DD, got "2026-02-30"')
      const order = yield* Effect.flip(worldOf({ ...defaults, from: "2026-05-02" } as never))
      expect(order.message).toMatch(/--to \(2026-05-01\) is before --from/)
      const world = yield* worldOf(defaults as never)
      expect(world.marketCount).toBe(50)
    })
  )
})
