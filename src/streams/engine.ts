import { Cause, Chunk, Clock, Console, Deferred, Duration, Effect, Exit, Fiber, FiberSet, Option, Schedule, Stream } from "effect"
import type { SourceError } from "../domain/errors.js"
import { isRetryable, SourceUnavailable, UsageError } from "../domain/errors.js"
import { whereToFix } from "../domain/sourceNames.js"
import type { ProgressSnapshot } from "../domain/progress.js"
import { formatCount, formatDuration } from "../domain/progress.js"
import { TABLES } from "../domain/tables.js"
import type { BackfillUnitRow, QuarantineRow, UnitHead } from "../domain/tables.js"
import type { Selection, UnitWrite } from "../domain/units.js"
import { inShard, released, selectUnits } from "../domain/units.js"
import type { LiveRun } from "../services/Heartbeats.js"
import { Heartbeats } from "../services/Heartbeats.js"
import { Progress } from "../services/Progress.js"
import type { RowSink } from "../services/RowSink.js"
import type { UnitStoreError } from "../services/UnitStore.js"
import { UnitStore } from "../services/UnitStore.js"
import { waiting } from "../services/Waiting.js"
import type { RunCounters, UnitRun, Marker } from "./checkpoint.js"
import { emptyCounters, makeCheckpointer } from "./checkpoint.js"
import { makeClaimer } from "./claims.js"
import { DEAD_AFTER_S, startHeartbeats, takebackLines } from "./heartbeat.js"
import type { Job, Page, TableRows } from "./Job.js"
import type { SinkOptions } from "./sink.js"
import { makeSink, SinkStopped } from "./sink.js"
import { makeWatchdog } from "./watchdog.js"

export interface EngineOptions {
  readonly runId: string
  /** Units fetched at once. */
  readonly workers: number
  readonly sink: SinkOptions
  /** Rows between cursor checkpoints inside a unit. */
  readonly checkpointInterval: number
  readonly selection: Selection
  /** Units claimed (marked in_progress) per write; default max(2 × workers, 64). */
  readonly claimChunk?: number
  /** Retry of unit-store writes (default: the sink's insert retry rules). */
  readonly storeRetry?: Schedule.Schedule<unknown, UnitStoreError>
  /** The governor's view for the progress line ("32", "41/256"); default the worker count. */
  readonly workersLabel?: Effect.Effect<string>
  /** Where "stopped at ..." goes; default stderr. */
  readonly say?: (line: string) => Effect.Effect<void>
  /** Who runs, for the heartbeats (host and pid come from the caller: streams do not read the OS). */
  readonly identity?: { readonly host: string; readonly pid: number }
  /** The governor's figures for the heartbeats. */
  readonly governorStats?: Effect.Effect<{ readonly limit: number; readonly inFlight: number; readonly rateLimitedShare: number }>
  /** A unit with no progress this long is interrupted and retried (default 60 s). */
  readonly stallTimeout?: Duration.DurationInput
  /** Retries after stalls before the unit becomes error (default 3). */
  readonly stallRetries?: number
  /**
   * Whether the process behind a heartbeat still lives: false for a pid of this host that is gone (its
   * units are taken back at once), undefined when it cannot tell (another host: the heartbeat decides).
   */
  readonly processAlive?: (host: string, pid: number) => boolean | undefined
  /** Pause between writing a claim and reading it back, longer than a claim takes to write (default 1 s). */
  readonly claimSettle?: Duration.DurationInput
  /**
   * Units in a row that could not reach their source (failed after the request policy's retries with
   * a retryable error) before the run stops taking units and fails (default 10).
   */
  readonly sourceDownAfter?: number
  /** Receives, at start, what a forced exit (a second Ctrl+C) would leave behind at that moment, in one sentence. */
  readonly onLeftBehind?: (describe: () => string) => void
  /** A command as the user should type it: `polybackfill <args>` with their flags (default: without them). */
  readonly suggest?: (args: string) => string
}

export const DEFAULT_SOURCE_DOWN_AFTER = 10

export const DEFAULT_CLAIM_SETTLE = Duration.seconds(1)
/** Chunks being claimed at once ahead of the workers. */
const CLAIMS_AHEAD = 4

export const DEFAULT_STALL_TIMEOUT = Duration.seconds(60)
export const DEFAULT_STALL_RETRIES = 3


export interface RunSummary {
  readonly job: string
  readonly planned: number
  readonly selected: number
  /** In-progress units of this shard left to other runs that still beat. */
  readonly leftToLiveRuns: number
  readonly done: number
  readonly errors: number
  readonly rows: number
  readonly quarantined: number
  readonly elapsedMs: number
  readonly inserts: number
  readonly lastErrors: ReadonlyArray<{ readonly unit: string; readonly message: string }>
}

export const storeRetry: Schedule.Schedule<unknown, UnitStoreError> = Schedule.exponential("500 millis").pipe(
  Schedule.union(Schedule.spaced("10 seconds")),
  Schedule.intersect(Schedule.recurs(12)),
  Schedule.whileInput((e: UnitStoreError) => e._tag === "ClickHouseError" && (e.reason === "Unreachable" || e.reason === "Timeout"))
)

/** One line for why a unit failed: the source's own message, or the defect's. */
export const describeCause = (cause: Cause.Cause<unknown>): string => {
  const failure = Cause.failureOption(cause)
  const error: unknown = Option.isSome(failure) ? failure.value : Cause.squash(cause)
  const text =
    typeof error === "object" && error !== null && "message" in error && typeof error.message === "string"
      ? error.message
      : String(error)
  const line = text.split("\n")[0] ?? ""
  return Option.isSome(failure) ? line : `internal error: ${line}`
}

const countRows = (batches: ReadonlyArray<TableRows>): number => batches.reduce((n, b) => n + b.rows.length, 0)

/**
 * Runs the selected units of `job`: claims them (in_progress), fetches up to `workers` at once, sends
 * their rows through the batching sink and checkpoints each unit only after its rows were
 * acknowledged. A unit whose stream fails becomes `error` and the run goes on; a sink failure stops
 * the run with nothing marked past unwritten rows. On interruption (Ctrl+C) the finalizer flushes what
 * was fetched, saves every unfinished unit back as pending at its acknowledged cursor, and says where
 * it stopped.
 */
export const runJob = <R>(
  job: Job<R>,
  options: EngineOptions
): Effect.Effect<RunSummary, UsageError | UnitStoreError | SinkStopped | SourceUnavailable, R | UnitStore | RowSink | Progress> =>
  Effect.gen(function* () {
    const store = yield* UnitStore
    const progress = yield* Progress
    const say = options.say ?? ((line: string) => Console.error(line))
    const { since, until } = options.selection
    // Choosing by --since/--until reads each unit's span from its payload; otherwise the heads do.
    const bySpan = job.span !== undefined && (since !== undefined || until !== undefined)
    // Ranked units (trades: biggest wallet first) are ordered by their payload too.
    const loadHeads = store.loadKeys === undefined || bySpan || job.rank !== undefined ? undefined : store.loadHeads
    const all: ReadonlyArray<UnitHead> = loadHeads === undefined ? yield* store.load(job.name) : yield* loadHeads(job.name)
    const suggest = options.suggest ?? ((args: string) => `polybackfill ${args}`)
    if (all.length === 0) {
      return yield* new UsageError({ message: `no units planned for ${job.name} in ${store.location}: run \`${suggest(`plan ${job.name}`)}\` first` })
    }
    if ((since !== undefined || until !== undefined) && job.span === undefined) {
      return yield* new UsageError({ message: `--since/--until: the units of ${job.name} are not dated; leave those flags out for this job` })
    }
    const heartbeats = yield* Heartbeats
    // Other runs that still beat, less those the caller knows are dead (a crashed process on this host).
    const readOthersAlive = Effect.flatMap(Clock.currentTimeMillis, (nowMs) =>
      Effect.map(heartbeats.liveRuns(job.name, Math.floor(nowMs / 1000) - DEAD_AFTER_S), (runs: ReadonlyArray<LiveRun>) =>
        new Set(runs.filter((r) => r.run_id !== options.runId && options.processAlive?.(r.host, r.pid) !== false).map((r) => r.run_id))
      )
    )
    const liveRuns = yield* readOthersAlive.pipe(
      Effect.catchAll((e) =>
        Effect.as(Effect.logWarning(`cannot read heartbeats (${e.message}): taking every in_progress unit of this shard`), new Set<string>())
      )
    )
    const leftToLiveRuns = all.filter((u) => u.status === "in_progress" && liveRuns.has(u.run_id) && inShard(options.selection.shard, u.shard_hash)).length
    if (leftToLiveRuns > 0) {
      yield* Effect.logInfo(`${leftToLiveRuns} in_progress units belong to runs that are still alive (${[...liveRuns].join(", ")}): leaving them to those runs`)
    }
    const span = job.span
    const unitSpan = span === undefined ? undefined : (u: BackfillUnitRow) => span({ unitKey: u.unit_key, payload: u.payload })
    const rank = job.rank
    const unitRank = rank === undefined ? undefined : (u: BackfillUnitRow) => rank({ unitKey: u.unit_key, payload: u.payload })
    const selected =
      loadHeads === undefined
        ? selectUnits(all as ReadonlyArray<BackfillUnitRow>, { ...options.selection, liveRuns }, unitSpan, unitRank) // full rows: store.load
        : selectUnits(all, { ...options.selection, liveRuns })
    if (selected.length > 0 && job.probe !== undefined) yield* job.probe
    for (const line of takebackLines(selected, options.runId)) yield* Effect.logInfo(line)
    const workers = Math.max(1, Math.floor(options.workers))
    const jobDoneBefore = all.filter((u) => u.status === "done").length
    const save = (rows: ReadonlyArray<UnitWrite>) =>
      rows.length === 0 ? Effect.void : store.save(rows).pipe(
        Effect.tapError((e) => Effect.logWarning(`saving ${rows.length} unit rows failed, retrying: ${e.message}`)),
        Effect.retry(options.storeRetry ?? storeRetry)
      )

    return yield* Effect.scoped(
      Effect.gen(function* () {
        const startedAt = yield* Clock.currentTimeMillis
        const counters: RunCounters = emptyCounters()
        const active = new Map<string, UnitRun>()
        let releasedAll = false
        options.onLeftBehind?.(() => {
          const held = releasedAll ? 0 : [...active.values()].filter((u) => !u.finished).length
          return held === 0
            ? `no unit of ${job.name} was left in progress`
            : `${formatCount(held)} units of ${job.name} stay in_progress under run ${options.runId} at their last saved cursor ` +
                `(rows not yet written are fetched again); the next \`${suggest(`run ${job.name}`)}\` takes them back, ` +
                `at once on this host, after ${DEAD_AFTER_S} s elsewhere`
        })
        const sink = yield* makeSink<Marker, UnitStoreError>(
          options.sink,
          makeCheckpointer({ save, checkpointInterval: Math.max(1, options.checkpointInterval), counters, active })
        )
        const snapshot: Effect.Effect<ProgressSnapshot> = Effect.gen(function* () {
          const now = yield* Clock.currentTimeMillis
          return {
            job: job.name,
            unitsTotal: selected.length,
            unitsDone: counters.unitsDone,
            unitsError: counters.unitsError,
            unitsInFlight: counters.unitsInFlight,
            jobUnits: all.length,
            jobDone: jobDoneBefore + counters.unitsDone,
            rows: counters.rows,
            quarantined: counters.quarantined,
            elapsedMs: now - startedAt,
            workers: options.workersLabel === undefined ? String(workers) : yield* options.workersLabel
          }
        })
        yield* progress.track(snapshot)

        yield* startHeartbeats({
          heartbeats,
          job: job.name,
          runId: options.runId,
          identity: options.identity,
          shard: options.selection.shard,
          workers,
          startedAtMs: startedAt,
          counters,
          governorStats: options.governorStats
        })

        // Runs before the sink's fibers stop (finalizers run in reverse order), so it can still flush.
        yield* Effect.addFinalizer((exit) =>
          Exit.isSuccess(exit)
            ? Effect.void
            : Effect.gen(function* () {
                const flushed = yield* Effect.either(sink.flush)
                const nowS = Math.floor((yield* Clock.currentTimeMillis) / 1000)
                const unfinished = [...active.values()].filter((u) => !u.finished)
                const midway = unfinished.filter((u) => u.ackedCursor !== "").length
                const releasedOk = yield* Effect.either(
                  store.save(unfinished.map((u) => released(u.row, u.ackedCursor, u.ackedRows, nowS)))
                )
                releasedAll = releasedOk._tag === "Right"
                if (!Exit.isInterrupted(exit)) return
                const how =
                  flushed._tag === "Left" || releasedOk._tag === "Left"
                    ? "; some rows or checkpoints could not be saved (a rerun replays them harmlessly)"
                    : ""
                yield* say(
                  `stopped: ${formatCount(counters.unitsDone)} of ${formatCount(selected.length)} units done in this run` +
                    `${counters.unitsError > 0 ? `, ${formatCount(counters.unitsError)} errors` : ""}, ` +
                    `${formatCount(counters.rows)} rows written; ${formatCount(unfinished.length)} unfinished units back to pending` +
                    `${midway > 0 ? ` (${formatCount(midway)} resume mid-unit from their cursor)` : ""}${how}. ` +
                    `Run the same command again to continue.`
                )
              }).pipe(Effect.catchAllDefect(() => Effect.void))
        )

        const claim = makeClaimer({
          job: job.name,
          runId: options.runId,
          store,
          selection: options.selection,
          span: unitSpan,
          othersAlive: Effect.orElseSucceed(readOthersAlive, () => liveRuns),
          save,
          retry: options.storeRetry ?? storeRetry,
          settle: options.claimSettle ?? DEFAULT_CLAIM_SETTLE,
          active
        })

        // Units in a row that failed to reach their source: at sourceDownAfter the source is down, and the run stops.
        const sourceDownAfter = Math.max(1, options.sourceDownAfter ?? DEFAULT_SOURCE_DOWN_AFTER)
        let unreachedInARow = 0
        let sourceIsDown = false
        const sourceDown = yield* Deferred.make<SourceError>()

        const watchdog = yield* makeWatchdog({
          timeout: options.stallTimeout ?? DEFAULT_STALL_TIMEOUT,
          maxRetries: options.stallRetries ?? DEFAULT_STALL_RETRIES
        })

        const runUnit = (u: UnitRun): Effect.Effect<void, SinkStopped, R> => {
          let ended = false
          // Where a retry after a stall resumes: the pages before it are already in the sink.
          let cursor = u.startCursor
          const onPage = (page: Page) =>
              Effect.gen(function* () {
                if (ended) return
                const rows = countRows(page.rows)
                const batches: Array<TableRows> = [...page.rows]
                const nowMs = yield* Clock.currentTimeMillis
                u.progressAt = nowMs
                if (page.quarantine.length > 0) {
                  const quarantine: Array<QuarantineRow> = page.quarantine.map((q) => ({
                    job: job.name,
                    unit_key: u.key,
                    source: q.source,
                    reason: q.reason,
                    raw: q.raw,
                    run_id: options.runId,
                    created_at: Math.floor(nowMs / 1000)
                  }))
                  batches.push({ table: TABLES.quarantine, rows: quarantine as unknown as ReadonlyArray<Record<string, unknown>> })
                }
                const marker: Marker = Option.isSome(page.next)
                  ? { kind: "page", unit: u, cursor: page.next.value, rows, quarantined: page.quarantine.length }
                  : { kind: "done", unit: u, rows, quarantined: page.quarantine.length, ...(page.final === undefined ? {} : { cursor: page.final }) }
                // A full sink is ClickHouse pushing back, not the unit falling silent.
                yield* waiting(sink.offer(batches, marker))
                // Only once the sink holds the page: an attempt interrupted before that fetches it again.
                if (Option.isSome(page.next)) cursor = page.next.value
                else ended = true
              })
          const pageOf = job.page
          const pages = Effect.suspend(() =>
            pageOf === undefined
              ? Stream.runForEach(job.fetch({ unitKey: u.key, payload: u.row.payload, cursor }), onPage)
              : Effect.gen(function* () {
                  while (!ended) yield* onPage(yield* pageOf({ unitKey: u.key, payload: u.row.payload, cursor }))
                })
          )
          const attempt = pages.pipe(
            Effect.zipRight(Effect.suspend(() => (ended ? Effect.void : sink.offer([], { kind: "done", unit: u, rows: 0, quarantined: 0 }))))
          )
          const fetched = watchdog.watched(u.key, attempt, {
            progressAt: () => u.progressAt,
            touch: (nowMs) => void (u.progressAt = nowMs),
            onStall: (silentMs, stalls) =>
              Effect.suspend(() => {
                u.row = { ...u.row, attempts: u.row.attempts + 1 }
                return Effect.logWarning(
                  `unit ${u.key} made no progress for ${formatDuration(silentMs)}: interrupted and retried from its last page ` +
                    `(stall ${stalls} of at most ${options.stallRetries ?? DEFAULT_STALL_RETRIES}, attempt ${u.row.attempts + 1})`
                )
              })
          })
          return Effect.sync(() => counters.unitsInFlight++).pipe(
            Effect.zipRight(fetched),
            Effect.zipRight(Effect.sync(() => void (unreachedInARow = 0))),
            Effect.catchAllCause((cause): Effect.Effect<void, SinkStopped> => {
              const stopped = Cause.failures(cause).pipe(Chunk.findFirst((e): e is SinkStopped => e instanceof SinkStopped))
              if (Option.isSome(stopped)) return Effect.fail(stopped.value)
              if (Cause.isInterruptedOnly(cause)) return Effect.failCause(cause as Cause.Cause<never>)
              // Once the source is called down, the units still failing go back to pending with the rest.
              if (sourceIsDown) return Effect.void
              const message = describeCause(cause)
              const failure = Cause.failureOption(cause)
              const unreached = Option.isSome(failure) && failure.value._tag === "SourceError" && isRetryable(failure.value) ? failure.value : undefined
              unreachedInARow = unreached === undefined ? 0 : unreachedInARow + 1
              sourceIsDown = unreachedInARow >= sourceDownAfter
              return Effect.logWarning(`unit ${u.key} failed: ${message}`).pipe(
                Effect.zipRight(sink.offer([], { kind: "error", unit: u, message })),
                Effect.zipRight(sourceIsDown && unreached !== undefined ? Deferred.succeed(sourceDown, unreached) : Effect.void)
              )
            }),
            Effect.ensuring(Effect.sync(() => counters.unitsInFlight--))
          )
        }

        // A plain loop over a semaphore rather than Stream.mapEffect: per unit it costs a fork, not the
        // hundreds of operations of a stream element, which matters at thousands of units per second.
        const slots = yield* Effect.makeSemaphore(workers)
        const running = yield* FiberSet.make<void, SinkStopped>()
        const chunkSize = Math.max(1, options.claimChunk ?? Math.max(2 * workers, 64))
        const launch = Effect.gen(function* () {
          // Claims run ahead of the workers (a claim waits out the settle pause), so no worker waits for one.
          const ahead: Array<Fiber.Fiber<ReadonlyArray<UnitRun>, UnitStoreError>> = []
          let from = 0
          const refill = Effect.gen(function* () {
            while (ahead.length < CLAIMS_AHEAD && from < selected.length) {
              ahead.push(yield* Effect.fork(claim(selected.slice(from, from + chunkSize))))
              from += chunkSize
            }
          })
          yield* refill
          while (ahead.length > 0) {
            const runs = yield* Fiber.join(ahead.shift()!)
            yield* refill
            for (const u of runs) {
              yield* slots.take(1)
              yield* FiberSet.run(running, Effect.ensuring(runUnit(u), slots.release(1)))
            }
          }
          yield* slots.take(workers)
        })
        const down = yield* Effect.raceFirst(Effect.as(launch, undefined), Effect.raceFirst(sink.failed, Deferred.await(sourceDown)))
        if (down !== undefined) {
          // The units in flight would fail the same way: interrupted, they go back to pending at their saved cursor.
          yield* FiberSet.clear(running)
          yield* sink.flush
          const pending = selected.length - counters.unitsDone - counters.unitsError
          const fix = job.sources === undefined ? "" : ` (${job.sources.map(whereToFix).join("; ")})`
          return yield* new SourceUnavailable({
            message:
              `${job.name}: stopped taking units: ${sourceDownAfter} units in a row could not reach their source, the last: ${down.message}; ` +
              `${formatCount(pending)} units left pending. Run the same command again once the source answers${fix}`
          })
        }
        yield* sink.flush
        const endedAt = yield* Clock.currentTimeMillis
        const summary: RunSummary = {
          job: job.name,
          planned: all.length,
          selected: selected.length,
          leftToLiveRuns,
          done: counters.unitsDone,
          errors: counters.unitsError,
          rows: counters.rows,
          quarantined: counters.quarantined,
          elapsedMs: endedAt - startedAt,
          inserts: sink.stats.inserts,
          lastErrors: [...counters.errors]
        }
        return summary
      })
    )
  })

/** `fills: 2,000 units done (3 errors), 98,765 rows in 41 inserts, 12.3s (162 units/s, 8,030 rows/s)`. */
export const formatSummary = (s: RunSummary): string => {
  const seconds = s.elapsedMs / 1000
  const per = (n: number) => (seconds > 0 ? formatCount(Math.round(n / seconds)) : "-")
  return (
    `${s.job}: ${formatCount(s.done)} of ${formatCount(s.selected)} units done` +
    `${s.errors > 0 ? ` (${formatCount(s.errors)} errors)` : ""}, ${formatCount(s.rows)} rows` +
    `${s.quarantined > 0 ? ` (+${formatCount(s.quarantined)} quarantined)` : ""} in ${formatCount(s.inserts)} inserts, ` +
    `${formatDuration(s.elapsedMs)} (${per(s.done + s.errors)} units/s, ${per(s.rows)} rows/s)`
  )
}

export interface SummaryLine {
  readonly done: number
  readonly errors: number
  readonly rows: number
  readonly inserts: number
}

const countOf = (text: string | undefined) => (text === undefined ? 0 : Number(text.replaceAll(",", "")))

/** The figures of a `formatSummary` line of `job` (benchmarks read them from a `polybackfill run`'s output). */
export const parseSummary = (job: string, line: string): SummaryLine | undefined => {
  const m = new RegExp(`^${job}: ([\\d,]+) of [\\d,]+ units done(?: \\(([\\d,]+) errors\\))?, ([\\d,]+) rows.* in ([\\d,]+) inserts`).exec(line)
  return m === null ? undefined : { done: countOf(m[1]), errors: countOf(m[2]), rows: countOf(m[3]), inserts: countOf(m[4]) }
}
