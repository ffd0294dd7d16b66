import type { Effect, Option } from "effect"
import { Context } from "effect"
import type { FillCursor } from "../domain/cursors.js"
import type { SourceError } from "../domain/errors.js"

/** How far the subgraph has indexed. */
export interface SubgraphHead {
  readonly block: number
  /** Epoch seconds; None when the subgraph does not say. */
  readonly timestamp: Option.Option<number>
}

/** The Goldsky orderbook subgraph: OrderFilled events of a market's tokens, by the sticky cursor. */
export class GoldskySource extends Context.Tag("polybackfill/GoldskySource")<
  GoldskySource,
  {
    /** Events as received (each decoded on its own by the job), at most `first`. */
    readonly orderFilledEvents: (
      tokenIds: ReadonlyArray<string>,
      cursor: FillCursor,
      first: number
    ) => Effect.Effect<ReadonlyArray<unknown>, SourceError>
    /** The subgraph's indexed head, asked once and remembered: the last time it can serve fills for. */
    readonly head: Effect.Effect<SubgraphHead, SourceError>
    /** The same question, asked afresh and not logged: whether the subgraph is there at all (the run's start-up probe). */
    readonly probe: Effect.Effect<void, SourceError>
  }
>() {}
