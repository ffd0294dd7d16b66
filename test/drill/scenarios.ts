import { Effect } from "effect"
import type { DrillOptions } from "./common.js"
import { harshScenario } from "./harshScenario.js"
import { killScenario } from "./killScenario.js"
import { outageScenario } from "./outageScenario.js"
import { refusedScenario } from "./refusedScenario.js"
import { shardScenario } from "./shardScenario.js"
import type { DrillResult } from "./table.js"

export type { DrillOptions } from "./common.js"
export { CI_DRILL, LONG_DRILL } from "./common.js"
export { formatDrillTable } from "./table.js"
export type { DrillResult } from "./table.js"
export { harshScenario, killScenario, outageScenario, refusedScenario, shardScenario }

/**
 * The fault drill of issue 5, every scenario against the CLI as child processes. Scenario 1 spends
 * half its time waiting for the killed runs' heartbeats to go stale, so it runs alongside the others
 * (which run one after another); results come back in scenario order.
 */
export const runDrill = (options: DrillOptions): Effect.Effect<ReadonlyArray<DrillResult>> =>
  Effect.gen(function* () {
    const told = (e: Effect.Effect<DrillResult>) =>
      Effect.tap(e, (r) => Effect.sync(() => options.say(`${r.scenario}: ${r.passed ? "pass" : "FAIL"} (${r.seconds.toFixed(0)} s)`)))
    const [kill, rest] = yield* Effect.all(
      [
        told(killScenario(options)),
        Effect.all([outageScenario(options), harshScenario(options), shardScenario(options), refusedScenario(options)].map(told))
      ],
      { concurrency: 2 }
    )
    return [kill, ...rest]
  })
