import { Effect, Layer } from "effect"
import type { ClickHouseError } from "../domain/errors.js"
import { decodeFragments } from "../domain/jsonRows.js"
import { RowSink } from "../services/RowSink.js"

/**
 * The "process" of a test run. `crash()` cuts the power: from then on every memory store and sink
 * refuses to persist anything (as a killed process would), so finalizers cannot save what a real
 * crash would lose. A rerun uses a fresh Power over the same storage.
 */
export class Power {
  on = true
  crash(): Effect.Effect<never> {
    return Effect.suspend(() => {
      this.on = false
      return Effect.die(new Error("simulated crash"))
    })
  }
  guard<A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E> {
    return Effect.suspend(() => (this.on ? effect : Effect.die(new Error("simulated crash: the process is dead"))))
  }
}

/** Rows that survived, per table, in insert order (duplicates kept, as ClickHouse keeps them before a merge). */
export class MemoryTables {
  readonly tables = new Map<string, Array<Record<string, unknown>>>()
  inserts = 0
  rowsOf(table: string): ReadonlyArray<Record<string, unknown>> {
    return this.tables.get(table) ?? []
  }
  /** What `SELECT ... FINAL` shows: the last row inserted per key. */
  final(table: string, key: (row: Record<string, unknown>) => string): Array<Record<string, unknown>> {
    const out = new Map<string, Record<string, unknown>>()
    for (const row of this.rowsOf(table)) out.set(key(row), row)
    return [...out.values()]
  }
}

export interface MemorySinkHooks {
  /** Runs before an insert lands: fail with a ClickHouseError to refuse it, or `power.crash()`. */
  readonly beforeInsert?: (table: string, rows: ReadonlyArray<Record<string, unknown>>, n: number) => Effect.Effect<void, ClickHouseError>
  /** Runs after an insert landed (and was acknowledged). */
  readonly afterInsert?: (table: string, rows: ReadonlyArray<Record<string, unknown>>, n: number) => Effect.Effect<void, ClickHouseError>
}

export const layerMemory = (storage: MemoryTables, power: Power = new Power(), hooks: MemorySinkHooks = {}): Layer.Layer<RowSink> =>
  Layer.succeed(RowSink, {
    insert: (table, fragments) =>
      power.guard(
        Effect.gen(function* () {
          const rows = decodeFragments(fragments)
          if (rows.length === 0) return
          const n = storage.inserts + 1
          if (hooks.beforeInsert !== undefined) yield* hooks.beforeInsert(table, rows, n)
          yield* power.guard(Effect.void)
          storage.inserts = n
          const target = storage.tables.get(table) ?? []
          for (const row of rows) target.push(row)
          storage.tables.set(table, target)
          if (hooks.afterInsert !== undefined) yield* hooks.afterInsert(table, rows, n)
        })
      )
  })
