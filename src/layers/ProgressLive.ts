import { Duration, Effect, Layer } from "effect"
import type { ProgressSnapshot } from "../domain/progress.js"
import { formatProgress } from "../domain/progress.js"
import type { ProgressApi } from "../services/Progress.js"
import { Progress } from "../services/Progress.js"

const ticker = (
  read: Effect.Effect<ProgressSnapshot>,
  every: Duration.DurationInput,
  show: (line: string) => Effect.Effect<void>,
  last: (line: string) => Effect.Effect<void>
) =>
  Effect.gen(function* () {
    yield* Effect.forkScoped(Effect.forever(Effect.zipRight(Effect.sleep(every), Effect.flatMap(read, (s) => show(formatProgress(s))))))
    yield* Effect.addFinalizer(() => Effect.flatMap(read, (s) => last(formatProgress(s))))
  })

/** A live line on stderr, rewritten in place twice a second; the final figures stay on screen. */
export const makeTerminal = (write: (text: string) => void = (t) => void process.stderr.write(t)): ProgressApi => ({
  track: (read) =>
    ticker(
      read,
      Duration.millis(500),
      (line) => Effect.sync(() => write(`\r\x1b[2K${line}`)),
      (line) => Effect.sync(() => write(`\r\x1b[2K${line}\n`))
    )
})

/** Without a terminal: a log line every `every` (10 s by default) and one at the end. */
export const makeLogLines = (every: Duration.DurationInput = Duration.seconds(10)): ProgressApi => ({
  track: (read) => ticker(read, every, (line) => Effect.logInfo(line), (line) => Effect.logInfo(line))
})

export const layerTerminal: Layer.Layer<Progress> = Layer.succeed(Progress, makeTerminal())
export const layerLogLines: Layer.Layer<Progress> = Layer.succeed(Progress, makeLogLines())

/** Live line when stderr is a terminal, log lines otherwise (--log-file keeps them either way). */
export const layerAuto: Layer.Layer<Progress> = Layer.suspend(() => (process.stderr.isTTY === true ? layerTerminal : layerLogLines))

export const layerSilent: Layer.Layer<Progress> = Layer.succeed(Progress, { track: () => Effect.void })
