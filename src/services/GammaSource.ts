import type { Effect } from "effect"
import { Context } from "effect"
import type { SourceError } from "../domain/errors.js"

export interface GammaKeysetRequest {
  /** Always sent: Gamma applies closed=false when it is absent, silently dropping resolved markets. */
  readonly closed: boolean
  /** "" for the first page, then the previous page's next_cursor. */
  readonly afterCursor: string
  readonly limit: number
}

export interface GammaKeysetAnswer {
  /** Market objects as received; each is decoded on its own so one bad object does not lose the page. */
  readonly markets: ReadonlyArray<unknown>
  /** Absent on the last page. */
  readonly nextCursor: string | undefined
}

/** The Gamma API: the market catalogue, one keyset page at a time. */
export class GammaSource extends Context.Tag("polybackfill/GammaSource")<
  GammaSource,
  {
    readonly marketsKeyset: (request: GammaKeysetRequest) => Effect.Effect<GammaKeysetAnswer, SourceError>
  }
>() {}
