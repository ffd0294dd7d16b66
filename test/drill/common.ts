import type { Scope } from "effect"
import { Cause, Clock, Effect } from "effect"
import type { LatencyRange } from "../../src/simulator/config.js"
import type { Knobs, SimulatorHandle, SimulatorOptions, WorldOptions } from "../../src/simulator/index.js"
import { startSimulator } from "../../src/simulator/index.js"
import type { FillComparison } from "./groundTruth.js"
import type { DrillResult } from "./table.js"

export interface DrillOptions {
  /** The ClickHouse of scenarios 1, 3, 4 and 5 (each in a database of its own); 2 starts its own. */
  readonly serverUrl: string
  readonly seed: number
  /** Markets of the worlds of scenarios 2 to 5 (scenario 1 needs more; see killScenario). */
  readonly markets: number
  /** SIGKILLs in scenario 1 (at least 5). */
  readonly kills: number
  /** How long ClickHouse stays down in scenario 2. */
  readonly outageSeconds: number
  /** Progress lines while the drill runs. */
  readonly say: (line: string) => void
}

/** The small, quick drill of the test suite. */
export const CI_DRILL = { seed: 5, markets: 120, kills: 5, outageSeconds: 10 } as const
/** `npm run drill` without flags. */
export const LONG_DRILL = { seed: 5, markets: 400, kills: 8, outageSeconds: 20 } as const

/** A world before the V2 switch (2026-04-28), so the subgraph serves every fill. */
export const drillWorld = (seed: number, markets: number, fillsPerMarket: number): WorldOptions => ({
  seed,
  markets,
  wallets: Math.max(20, Math.floor(markets / 4)),
  from: "2026-04-01",
  to: "2026-04-27",
  fills: markets * fillsPerMarket
})

const NONE: LatencyRange = { minMs: 0, maxMs: 0 }

/** Latency on the subgraph only (the fills runs), none elsewhere. */
export const goldskyLatency = (minMs: number, maxMs: number): Partial<Knobs> => ({
  latency: { gamma: NONE, data: NONE, rpc: NONE, goldsky: { minMs, maxMs } }
})

export const simulator = (options: SimulatorOptions): Effect.Effect<SimulatorHandle, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(() => startSimulator(options)),
    (s) => Effect.promise(() => s.close())
  )

/** What a scenario body returns; the wrapper adds its name and time. */
export type ScenarioOutcome = Omit<DrillResult, "scenario" | "seconds">

/** Runs a scenario; a failure of the drill itself becomes a failed row, so the table still prints. */
export const scenario = (
  name: string,
  body: Effect.Effect<ScenarioOutcome, unknown, Scope.Scope>
): Effect.Effect<DrillResult> =>
  Effect.gen(function* () {
    const start = yield* Clock.currentTimeMillis
    const outcome = yield* Effect.scoped(body).pipe(
      Effect.catchAllCause((cause) =>
        Effect.succeed<ScenarioOutcome>({
          expected: 0,
          found: 0,
          duplicatesBeforeFinal: 0,
          duplicatesAfterFinal: 0,
          passed: false,
          outcome: "drill error",
          detail: Cause.pretty(cause).split("\n").slice(0, 3).join(" ")
        })
      )
    )
    const end = yield* Clock.currentTimeMillis
    return { scenario: name, ...outcome, seconds: (end - start) / 1000 }
  })

/** The checks of a scenario: each failed one is a reason in the detail. */
export class Checks {
  private readonly failed: Array<string> = []
  /** `what` says what went wrong; a function when it can only be computed on failure. */
  check(ok: boolean, what: string | (() => string)): boolean {
    if (!ok) this.failed.push(typeof what === "string" ? what : what())
    return ok
  }
  get passed(): boolean {
    return this.failed.length === 0
  }
  get failures(): string {
    return this.failed.join("; ")
  }
}

/** The row of a scenario that ends comparing clob_fills with the truth: "not exact" unless every check passed. */
export const comparedOutcome = (
  comparison: FillComparison,
  dups: { readonly beforeFinal: number; readonly afterFinal: number },
  checks: Checks,
  outcome: string,
  detail: string
): ScenarioOutcome => ({
  expected: comparison.expected,
  found: comparison.found,
  duplicatesBeforeFinal: dups.beforeFinal,
  duplicatesAfterFinal: dups.afterFinal,
  passed: checks.passed,
  outcome: checks.passed ? outcome : "not exact",
  detail: detail + (checks.passed ? "" : `. FAILED: ${checks.failures}`)
})
