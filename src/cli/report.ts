import { ValidationError } from "@effect/cli"
import { Cause, Effect, Exit } from "effect"
import type { Teardown } from "@effect/platform/Runtime"
import { processTerminal } from "../layers/Terminal.js"
import { UsageError } from "../domain/errors.js"

/** One line for any failure a command can end with; tagged errors carry a message written for users. */
export const describeFailure = (error: unknown): string => {
  if (typeof error === "object" && error !== null && "message" in error && typeof error.message === "string" && error.message !== "") {
    return error.message.split("\n")[0]!
  }
  return String(error).split("\n")[0]!
}

/** The exit codes, as `--help` and the README state them. */
export const EXIT_CODES =
  "Exit codes: 0 every selected unit ended done; 1 a unit ended in error, a source was not there or the command failed " +
  "(one line on stderr says what to fix); 2 a usage error (unknown command or flag, bad value); 130 interrupted (Ctrl+C)."

/**
 * Exit codes: 0 ok, 1 a failure (one line on stderr, no stack trace), 2 a usage error (the parser has
 * already printed what was wrong; ours print their one line), 130 interrupted by Ctrl+C.
 */
export const reportFailures = <A, E, R>(program: Effect.Effect<A, E, R>): Effect.Effect<void, never, R> =>
  program.pipe(
    Effect.asVoid,
    Effect.catchAll((error) =>
      Effect.sync(() => {
        if (ValidationError.isValidationError(error)) {
          process.exitCode = 2
          return
        }
        processTerminal().clearStatus()
        process.stderr.write(`polybackfill: ${describeFailure(error)}\n`)
        process.exitCode = error instanceof UsageError ? 2 : 1
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

/** What a forced exit leaves behind, said by the command that holds something (a run: its claimed units). */
let leftBehind: (() => string) | undefined

/** A run registers what a second Ctrl+C would leave behind; read only when it comes. */
export const setLeftBehind = (describe: () => string): void => {
  leftBehind = describe
}

/**
 * The first SIGINT (or SIGTERM) interrupts the program gracefully (the runtime's own handler); during a
 * run it says so, since saving can take a moment. A second SIGINT during that shutdown exits at once
 * with 130, after one line saying what stays behind.
 */
export const installForcedExit = (write: (line: string) => void = (line) => processTerminal().print("err", line)): void => {
  let signals = 0
  process.on("SIGINT", () => {
    signals++
    if (signals < 2) {
      if (leftBehind !== undefined) write("polybackfill: stopping: saving what was fetched and where each unit got to (Ctrl+C again to stop at once)\n")
      return
    }
    processTerminal().clearStatus()
    write(`polybackfill: second Ctrl+C: stopped at once${leftBehind === undefined ? "" : `; ${leftBehind()}`}\n`)
    process.exit(130)
  })
}
