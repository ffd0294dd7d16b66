import type { Scope } from "effect"
import { Clock, Data, Deferred, Duration, Effect, Queue, Schedule } from "effect"
import type { ClickHouseError } from "../domain/errors.js"
import { ByteSlabs } from "../domain/byteSlabs.js"
import type { JsonFragment, WriteBytes } from "../domain/jsonRows.js"
import { encodeFragments, packFragments, rowsIn } from "../domain/jsonRows.js"
import { RowSink } from "../services/RowSink.js"
import type { TableRows } from "./Job.js"

/** The sink could not write (after its retries): nothing offered since is acknowledged. */
export class SinkStopped extends Data.TaggedError("SinkStopped")<{
  readonly message: string
  readonly error: unknown
}> {}

export interface SinkOptions {
  /** Rows per insert; a table reaching it triggers a flush. */
  readonly batchSize: number
  /** A partial batch waits at most this long after its first row. */
  readonly flushInterval: Duration.DurationInput
  /** Rows buffered or being inserted before `offer` waits (back-pressure on sources). Default 4 batches. */
  readonly maxBufferedRows?: number
  /** Flushes inserting at once; acknowledgements still happen in order. Default 2. */
  readonly insertConcurrency?: number
  /** How a failed insert is retried (default: `insertRetry`). */
  readonly retry?: Schedule.Schedule<unknown, ClickHouseError>
}

export interface SinkStats {
  inserts: number
  rowsInserted: number
  flushes: number
}

export interface Sink<M> {
  /**
   * Buffers rows and a marker. The marker is acknowledged (passed to `onAck`) only after every row
   * offered before it, and with it, was inserted. Waits while the buffer is full.
   */
  readonly offer: (rows: ReadonlyArray<TableRows>, marker: M) => Effect.Effect<void, SinkStopped>
  /** Flushes what is buffered now and waits until it is acknowledged. */
  readonly flush: Effect.Effect<void, SinkStopped>
  readonly stats: Readonly<SinkStats>
  /** Fails once the sink has stopped. */
  readonly failed: Effect.Effect<never, SinkStopped>
}

/**
 * Retries only what waiting can fix (ClickHouse unreachable or slow): 0.5 s doubling to 10 s, for
 * about 90 s in all. A refused insert (read-only user, missing table) fails at once.
 */
export const insertRetry: Schedule.Schedule<unknown, ClickHouseError> = Schedule.exponential("500 millis").pipe(
  Schedule.union(Schedule.spaced("10 seconds")),
  Schedule.intersect(Schedule.recurs(12)),
  Schedule.whileInput((e: ClickHouseError) => e.reason === "Unreachable" || e.reason === "Timeout")
)

interface Epoch<M> {
  readonly seq: number
  /** Per table: its fragments and how many rows they hold. */
  readonly tables: Map<string, { readonly fragments: Array<JsonFragment>; rows: number }>
  readonly markers: Array<M>
  rows: number
  permits: number
  openedAt: number
}

const emptyEpoch = <M>(seq: number): Epoch<M> => ({ seq, tables: new Map(), markers: [], rows: 0, permits: 0, openedAt: 0 })

const isEmpty = (e: Epoch<unknown>) => e.markers.length === 0 && e.rows === 0

/**
 * Rows of many units grouped into inserts per table: a flush happens when a table holds `batchSize`
 * rows or `flushInterval` after the first buffered item, whichever comes first. Flushes are numbered;
 * their markers reach `onAck` strictly in flush order and only after the flush's inserts succeeded, so
 * a checkpoint written by `onAck` never moves past a row ClickHouse has not acknowledged.
 */
export const makeSink = <M, E>(
  options: SinkOptions,
  onAck: (markers: ReadonlyArray<M>) => Effect.Effect<void, E>
): Effect.Effect<Sink<M>, never, RowSink | Scope.Scope> =>
  Effect.gen(function* () {
    const rowSink = yield* RowSink
    const scope = yield* Effect.scope
    const batchSize = Math.max(1, Math.floor(options.batchSize))
    const capacity = Math.max(batchSize, Math.floor(options.maxBufferedRows ?? batchSize * 4))
    const intervalMs = Math.max(0, Duration.toMillis(Duration.decode(options.flushInterval)))
    const retry = options.retry ?? insertRetry
    const space = yield* Effect.makeSemaphore(capacity)
    const inserting = yield* Effect.makeSemaphore(Math.max(1, options.insertConcurrency ?? 2))
    const wake = yield* Queue.sliding<void>(1)
    const cut = yield* Queue.unbounded<{ readonly epoch: Epoch<M>; readonly inserted: Deferred.Deferred<void, ClickHouseError> }>()
    const failure = yield* Deferred.make<never, SinkStopped>()
    const stats: SinkStats = { inserts: 0, rowsInserted: 0, flushes: 0 }
    const slabs = new ByteSlabs()
    const write: WriteBytes = (text) => slabs.write(text)
    let current = emptyEpoch<M>(1)
    let flushRequested = 0
    let ackedSeq = 0
    const waiters: Array<{ readonly seq: number; readonly done: Deferred.Deferred<void, SinkStopped> }> = []

    const isFull = (e: Epoch<M>) => {
      for (const t of e.tables.values()) if (t.rows >= batchSize) return true
      return false
    }

    const stop = (error: unknown, what: string) =>
      Effect.gen(function* () {
        const stopped = new SinkStopped({
          error,
          message: `${what}: ${typeof error === "object" && error !== null && "message" in error ? String(error.message) : String(error)}`
        })
        yield* Deferred.fail(failure, stopped)
        for (const w of waiters.splice(0)) yield* Deferred.fail(w.done, stopped)
        // Wakes every offer waiting for space: each then sees the failure.
        yield* space.resize(Number.MAX_SAFE_INTEGER)
      })

    const insertEpoch = (epoch: Epoch<M>): Effect.Effect<void, ClickHouseError> =>
      Effect.forEach(
        [...epoch.tables],
        ([table, { fragments }]) =>
          Effect.forEach(
            packFragments(fragments, batchSize),
            (chunk) => {
              const rows = rowsIn(chunk)
              return rowSink.insert(table, chunk).pipe(
                Effect.tapError((e) =>
                  e.reason === "Unreachable" || e.reason === "Timeout"
                    ? Effect.logWarning(`insert of ${rows} rows into ${table} failed, retrying: ${e.message}`)
                    : Effect.void
                ),
                Effect.retry(retry),
                Effect.tap(() =>
                  Effect.sync(() => {
                    stats.inserts++
                    stats.rowsInserted += rows
                  })
                )
              )
            },
            { discard: true }
          ),
        { concurrency: "unbounded", discard: true }
      )

    // Cuts the buffer into numbered flushes and starts their inserts.
    const cutter = Effect.gen(function* () {
      while (true) {
        if (isEmpty(current)) {
          yield* Queue.take(wake)
          continue
        }
        const now = yield* Clock.currentTimeMillis
        const deadline = current.openedAt + intervalMs
        if (!isFull(current) && flushRequested < current.seq && now < deadline) {
          yield* Effect.timeoutOption(Queue.take(wake), Duration.millis(deadline - now))
          continue
        }
        const epoch = current
        current = emptyEpoch<M>(epoch.seq + 1)
        stats.flushes++
        const inserted = yield* Deferred.make<void, ClickHouseError>()
        yield* Queue.offer(cut, { epoch, inserted })
        // A child of the cutter, not of the scope: the scope may already be closing (the last flush).
        yield* Effect.fork(inserting.withPermits(1)(insertEpoch(epoch)).pipe(Effect.onExit((exit) => Deferred.done(inserted, exit))))
      }
    })

    // Acknowledges flushes in order: markers reach onAck only after their rows were inserted.
    const acker = Effect.gen(function* () {
      while (true) {
        const { epoch, inserted } = yield* Queue.take(cut)
        const insertExit = yield* Effect.exit(Deferred.await(inserted))
        if (insertExit._tag === "Failure") {
          const error = insertExit.cause._tag === "Fail" ? insertExit.cause.error : insertExit.cause
          return yield* stop(error, "rows not written, no checkpoint moved")
        }
        // Inserted for good (a retry would have re-sent them): their bytes may be written over.
        for (const { fragments } of epoch.tables.values()) for (const f of fragments) slabs.release(f.slab)
        if (epoch.markers.length > 0) {
          const ackExit = yield* Effect.exit(onAck(epoch.markers))
          if (ackExit._tag === "Failure") {
            const error = ackExit.cause._tag === "Fail" ? ackExit.cause.error : ackExit.cause
            return yield* stop(error, "rows written but their checkpoint was not (a rerun replays them harmlessly)")
          }
        }
        ackedSeq = epoch.seq
        if (epoch.permits > 0) yield* space.release(epoch.permits)
        for (let i = waiters.length - 1; i >= 0; i--) {
          const w = waiters[i]!
          if (w.seq <= ackedSeq) {
            waiters.splice(i, 1)
            yield* Deferred.succeed(w.done, undefined)
          }
        }
      }
    })

    yield* Effect.forkIn(cutter, scope)
    yield* Effect.forkIn(acker, scope)

    const offer = (batches: ReadonlyArray<TableRows>, marker: M): Effect.Effect<void, SinkStopped> => Effect.suspend(() => {
      let n = 0
      for (const b of batches) n += b.rows.length
      const permits = Math.min(n, capacity)
      // Encoded before the wait for space: the objects can die young, the text is what waits.
      const encoded: Array<{ readonly table: string; readonly fragments: Array<JsonFragment>; readonly rows: number }> = []
      for (const b of batches) if (b.rows.length > 0) encoded.push({ table: b.table, fragments: encodeFragments(b.rows, batchSize, write), rows: b.rows.length })
      return Effect.uninterruptibleMask((restore) =>
        Effect.gen(function* () {
          if (permits > 0) yield* restore(space.take(permits))
          if (yield* Deferred.isDone(failure)) {
            if (permits > 0) yield* space.release(permits)
            return yield* Deferred.await(failure)
          }
          const wasEmpty = isEmpty(current)
          if (wasEmpty) current.openedAt = yield* Clock.currentTimeMillis
          for (const { table, fragments, rows } of encoded) {
            const target = current.tables.get(table)
            if (target === undefined) current.tables.set(table, { fragments, rows })
            else {
              for (const f of fragments) target.fragments.push(f)
              target.rows += rows
            }
          }
          current.rows += n
          current.permits += permits
          current.markers.push(marker)
          if (wasEmpty || isFull(current)) yield* Queue.offer(wake, undefined)
        })
      )
    })

    const flush: Effect.Effect<void, SinkStopped> = Effect.gen(function* () {
      if (yield* Deferred.isDone(failure)) return yield* Deferred.await(failure)
      const target = isEmpty(current) ? current.seq - 1 : current.seq
      if (target <= ackedSeq) return
      flushRequested = Math.max(flushRequested, target)
      const done = yield* Deferred.make<void, SinkStopped>()
      waiters.push({ seq: target, done })
      if (yield* Deferred.isDone(failure)) return yield* Deferred.await(failure)
      yield* Queue.offer(wake, undefined)
      yield* Deferred.await(done)
    })

    return { offer, flush, stats, failed: Deferred.await(failure) }
  })
