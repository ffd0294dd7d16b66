import { ValidationError } from "@effect/cli"
import { Cause, Effect, Exit } from "effect"
import type { Teardown } from "@effect/platform/Runtime"

/** One line for any failure a command can end with; tagged errors carry a message written for users. */
export const describeFailure = (error: unknown): string => {
  if (typeof error === "object" && error !== null && "message" in error && typeof error.message === "string" && error.message !== "") {
    return error.message.split("\n")[0]!
  }
  return String(error).split("\n")[0]!
}

/**
 * Exit codes: 0 ok, 1 a failure (one line on stderr, no stack trace), 2 a usage error (the CLI has
 * already printed what was wrong), 130 interrupted by Ctrl+C.
 */
export const reportFailures = <A, E, R>(program: Effect.Effect<A, E, R>): Effect.Effect<void, never, R> =>
  program.pipe(
    Effect.asVoid,
    Effect.catchAll((error) =>
      Effect.sync(() => {
        if (ValidationError.isValidationError(error)) {
          process.exitCode = 2
        } else {
          process.stderr.write(`polybackfill: ${describeFailure(error)}\n`)
          process.exitCode = 1
        }
      })
    ),
    Effect.catchAllDefect((defect) =>
      Effect.sync(() => {
        process.stderr.write(`polybackfill: internal error: ${describeFailure(defect)}\n`)
        process.exitCode = 1
      })
    )
  )

export const teardown: Teardown = (exit, onExit) => {
  if (Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause)) onExit(130)
  else onExit(Exit.isFailure(exit) ? 1 : typeof process.exitCode === "number" ? process.exitCode : 0)
}
