import { spawn } from "node:child_process"
import { Effect } from "effect"
import type { RunSummary } from "../streams/engine.js"

/** The run's summary as the hook's environment (the runbook's on-complete hook read these). */
export const onCompleteEnv = (summary: RunSummary, runId: string): Record<string, string> => ({
  POLYBACKFILL_JOB: summary.job,
  POLYBACKFILL_RUN_ID: runId,
  POLYBACKFILL_UNITS_PLANNED: String(summary.planned),
  POLYBACKFILL_UNITS_DONE: String(summary.done),
  POLYBACKFILL_UNITS_ERROR: String(summary.errors),
  POLYBACKFILL_ROWS: String(summary.rows),
  POLYBACKFILL_QUARANTINED: String(summary.quarantined),
  POLYBACKFILL_ELAPSED_MS: String(summary.elapsedMs)
})

/**
 * Runs `--on-complete "COMMAND"` through the shell, its output on this process's, and logs its exit code.
 * Its failure is logged, not the run's: the backfill itself is complete.
 */
export const runOnComplete = (command: string, env: Record<string, string>): Effect.Effect<number> =>
  Effect.gen(function* () {
    yield* Effect.logInfo(`on-complete: every unit is done; running \`${command}\``)
    const code = yield* Effect.async<number>((resume) => {
      const child = spawn(command, { shell: true, stdio: "inherit", env: { ...process.env, ...env } })
      child.once("error", () => resume(Effect.succeed(127)))
      child.once("close", (c, signal) => resume(Effect.succeed(c ?? (signal === null ? 1 : 128))))
    })
    yield* code === 0 ? Effect.logInfo(`on-complete: exited with code 0`) : Effect.logWarning(`on-complete: \`${command}\` exited with code ${code}`)
    return code
  })
