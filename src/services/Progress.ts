import type { Effect, Scope } from "effect"
import { Context } from "effect"
import type { ProgressSnapshot } from "../domain/progress.js"

/**
 * Shows how a run is going: a live line on a terminal, a log line every 10 s otherwise. The engine
 * hands over a way to read the current figures; the implementation decides how often to show them.
 */
export interface ProgressApi {
  /** Shows `read` periodically until the scope closes, then a final line. */
  readonly track: (read: Effect.Effect<ProgressSnapshot>) => Effect.Effect<void, never, Scope.Scope>
}

export class Progress extends Context.Tag("polybackfill/Progress")<Progress, ProgressApi>() {}
