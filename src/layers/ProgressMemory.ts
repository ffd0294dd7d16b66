import { Effect, Layer } from "effect"
import type { ProgressSnapshot } from "../domain/progress.js"
import { Progress } from "../services/Progress.js"

/** Keeps the final snapshot of every tracked run, for tests. */
export const layerMemory = (seen: Array<ProgressSnapshot>): Layer.Layer<Progress> =>
  Layer.succeed(Progress, {
    track: (read) => Effect.addFinalizer(() => Effect.flatMap(read, (s) => Effect.sync(() => void seen.push(s))))
  })
