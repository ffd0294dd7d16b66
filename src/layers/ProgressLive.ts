import { Duration, Effect, Exit, Fiber, Layer } from "effect"
import type { ProgressSnapshot } from "../domain/progress.js"
import { formatProgress, formatProgressLine } from "../domain/progress.js"
import type { ProgressApi } from "../services/Progress.js"
import { Progress } from "../services/Progress.js"
import type { TerminalWriter } from "./Terminal.js"
import { processTerminal } from "./Terminal.js"

/** Shows `read` every `every`; at the end the ticker stops first, so no stale line follows the last one. */
const ticker = (
  read: Effect.Effect<ProgressSnapshot>,
  every: Duration.DurationInput,
  show: (s: ProgressSnapshot) => Effect.Effect<void>,
  last: (s: ProgressSnapshot, exit: Exit.Exit<unknown, unknown>) => Effect.Effect<void>
) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.forkScoped(Effect.forever(Effect.zipRight(Effect.sleep(every), Effect.flatMap(read, show))))
    yield* Effect.addFinalizer((exit) => Effect.zipRight(Fiber.interrupt(fiber), Effect.flatMap(read, (s) => last(s, exit))))
  })

/**
 * A live line on the terminal, redrawn twice a second through the writer (which keeps log lines off
 * it). A run that ends leaves its final figures on screen, but for one stopped by Ctrl+C: its own
 * message says where it stopped.
 */
export const makeTerminal = (writer: TerminalWriter = processTerminal()): ProgressApi => ({
  track: (read) =>
    ticker(
      read,
      Duration.millis(500),
      (s) => Effect.sync(() => writer.status(formatProgressLine(s, writer.width() - 1))),
      (s, exit) =>
        Effect.sync(() => {
          writer.clearStatus()
          if (!Exit.isInterrupted(exit)) writer.print("err", `${formatProgressLine(s, writer.width() - 1)}\n`)
        })
    )
})

/** Without a terminal: a plain log line every `every` (10 s by default) and one at the end (not after Ctrl+C). */
export const makeLogLines = (every: Duration.DurationInput = Duration.seconds(10)): ProgressApi => ({
  track: (read) =>
    ticker(read, every, (s) => Effect.logInfo(formatProgress(s)), (s, exit) => (Exit.isInterrupted(exit) ? Effect.void : Effect.logInfo(formatProgress(s))))
})

/** A live line when stderr is a terminal, plain log lines otherwise (--log-file keeps them either way). */
export const makeProgress = (writer: TerminalWriter): ProgressApi => (writer.live ? makeTerminal(writer) : makeLogLines())

export const layerLogLines: Layer.Layer<Progress> = Layer.succeed(Progress, makeLogLines())
export const layerAuto: Layer.Layer<Progress> = Layer.sync(Progress, () => makeProgress(processTerminal()))

export const layerSilent: Layer.Layer<Progress> = Layer.succeed(Progress, { track: () => Effect.void })
