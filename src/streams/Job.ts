import { Effect, Option, Stream } from "effect"
import type { SourceError } from "../domain/errors.js"
import { SourceUnavailable } from "../domain/errors.js"
import type { SourceName } from "../domain/sourceNames.js"
import { SOURCE_SETTINGS, whereToFix } from "../domain/sourceNames.js"
import { withoutRetries } from "../services/RequestPolicy.js"
import type { QuarantineRow } from "../domain/tables.js"

/** A resumable piece of work as planned: one market (fills), one wallet (trades), one page range (markets). */
export interface UnitSpec {
  readonly unitKey: string
  /** Job-specific JSON the fetcher needs (e.g. a market's token ids), stored with the unit. */
  readonly payload: string
}

/** A unit as the engine hands it to a job: its spec plus where an earlier run stopped. */
export interface UnitToFetch extends UnitSpec {
  /** Opaque job-specific cursor; "" means from the start. */
  readonly cursor: string
}

/** Rows bound for one table. */
export interface TableRows {
  readonly table: string
  readonly rows: ReadonlyArray<Record<string, unknown>>
}

/** One page of a unit: its decoded rows, what failed to decode, and the cursor after it. */
export interface Page {
  readonly rows: ReadonlyArray<TableRows>
  /** Rows or pages that failed to decode (job, unit_key, run_id and created_at are filled by the engine). */
  readonly quarantine: ReadonlyArray<Pick<QuarantineRow, "source" | "reason" | "raw">>
  /** Cursor to resume after this page; None when the unit is complete. */
  readonly next: Option.Option<string>
  /** On the last page: the cursor kept with the done unit (what a finished unit should remember, e.g. its source's head). */
  readonly final?: string
}

/**
 * A job: how to plan its units and how to fetch one unit as a stream of pages, resuming from a cursor.
 * The engine owns concurrency, sinking, checkpointing, retries of whole units and progress; the job
 * owns requests (with their own per-request retry), decoding and derivation.
 */
export interface Job<R = never> {
  readonly name: string
  readonly description: string
  /** Tables this job writes (for status, dry-run and validation). */
  readonly tables: ReadonlyArray<string>
  readonly plan: Effect.Effect<ReadonlyArray<UnitSpec>, unknown, R>
  readonly fetch: (unit: UnitToFetch) => Stream.Stream<Page, SourceError, R>
  /**
   * Optional fast path: the one page at `unit.cursor` ("" = the first). When a job has it, the engine
   * loops pages itself instead of running `fetch`'s Stream: a Stream run costs hundreds of Effect
   * operations, which at thousands of small units per second is most of the engine's CPU. Must give
   * the same pages as `fetch`.
   */
  readonly page?: (unit: UnitToFetch) => Effect.Effect<Page, SourceError, R>
  /**
   * The time a unit covers (epoch seconds), when it has one: `run --since/--until` keep the units that
   * overlap the window. Jobs whose units are not dated leave it out, and those flags are refused for them.
   */
  readonly span?: (unit: UnitSpec) => { readonly from: number; readonly to: number } | undefined
  /**
   * A unit's place in the run order, when the plan ranks its units (the trades job: biggest wallet
   * first): runs take units by rank, then key, so `run --limit N` takes the N first. Without it, key order.
   */
  readonly rank?: (unit: UnitSpec) => number | undefined
  /** It reads Polygon: its commands start the RPC pool first, so a bad URL (wrong chain, none reachable) fails at once. */
  readonly usesRpc?: boolean
  /** The remote sources it reads: a command suggested after a run repeats their URLs. */
  readonly sources?: ReadonlyArray<SourceName>
  /**
   * One request per source host, before any unit is claimed: a source that is not there (see
   * `probeSource`) stops the run in one line instead of failing every unit after its retries.
   */
  readonly probe?: Effect.Effect<void, SourceUnavailable, R>
}

/**
 * A start-up probe of one source, one attempt (no retries): no answer (DNS, refused, TLS), a 404 or 405 at the URL, or an answer
 * in another shape than the source's is "not there" and fails with one line naming the URL (the
 * request's own message, redacted), the flag and the environment variable. Any other failure (a 5xx,
 * a 429, a timeout) is a source that is there but struggling: logged, and the run goes on.
 */
export const probeSource = <R>(source: SourceName, request: Effect.Effect<unknown, SourceError, R>): Effect.Effect<void, SourceUnavailable, R> =>
  withoutRetries(request).pipe(
    Effect.asVoid,
    Effect.catchAll((e) =>
      e.noAnswer === true || e.status === 404 || e.status === 405 || e.reason === "Decode"
        ? Effect.fail(new SourceUnavailable({ message: `${SOURCE_SETTINGS[source].label} is not there: ${e.message}; ${whereToFix(source)}` }))
        : Effect.logWarning(`${SOURCE_SETTINGS[source].label} answered the start-up probe with a failure, going on: ${e.message}`)
    )
  )

/** A unit's pages as a Stream, from a job's page function: for a job whose pages are naturally one request each. */
export const pagesOf =
  <R>(page: (unit: UnitToFetch) => Effect.Effect<Page, SourceError, R>) =>
  (unit: UnitToFetch): Stream.Stream<Page, SourceError, R> =>
    Stream.paginateEffect(unit, (u) => Effect.map(page(u), (p) => [p, Option.map(p.next, (cursor) => ({ ...u, cursor }))] as const))
