import type { BackfillUnitRow, UnitHead, UnitStatus } from "./tables.js"

/**
 * Shard of a unit: FNV-1a (32 bit) of its key, so every process and every language computes the same
 * value without ClickHouse's cityHash. Stored as `shard_hash`; shard i of N takes `hash % N === i`.
 */
export const shardHash = (unitKey: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < unitKey.length; i++) {
    h ^= unitKey.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h >>> 0
}

/** `--shard i/N`: this process takes the units whose hash is i modulo N. */
export interface Shard {
  readonly index: number
  readonly count: number
}

export const ALL_SHARDS: Shard = { index: 0, count: 1 }

export const inShard = (shard: Shard, hash: number): boolean => shard.count <= 1 || hash % shard.count === shard.index

export const formatShard = (shard: Shard): string => `${shard.index}/${shard.count}`

/** Parses "i/N" (0 <= i < N); a string is the one-line reason it is not one. */
export const parseShard = (text: string): Shard | string => {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text)
  if (m === null) return `--shard must look like i/N, e.g. --shard 0/4, got "${text}"`
  const index = Number(m[1])
  const count = Number(m[2])
  if (count < 1 || index >= count) return `--shard ${text}: i must be between 0 and N-1 and N at least 1, e.g. --shard 0/${Math.max(1, count)}`
  return { index, count }
}

/** A unit row as written: the store assigns `version`. */
export type UnitWrite = Omit<BackfillUnitRow, "version">

export const newUnit = (job: string, unitKey: string, payload: string): UnitWrite => ({
  job,
  unit_key: unitKey,
  shard_hash: shardHash(unitKey),
  status: "pending",
  cursor: "",
  attempts: 0,
  rows: 0,
  error_message: "",
  run_id: "",
  last_run_at: 0,
  payload
})

const withoutVersion = (row: BackfillUnitRow | UnitWrite): UnitWrite => {
  const { version: _ignored, ...rest } = row as BackfillUnitRow
  return rest
}

export interface PlanChange {
  /** Rows to write. */
  readonly writes: ReadonlyArray<UnitWrite>
  readonly added: number
  readonly kept: number
  /** With rebuild: how many done units were reset to pending. */
  readonly discardedDone: number
  readonly total: number
}

/**
 * What `plan` writes. Without rebuild, only units the store does not know are added, so every
 * existing unit keeps its status, cursor and counts. With rebuild every planned unit starts over.
 */
export const planChange = (
  job: string,
  existing: ReadonlyArray<BackfillUnitRow>,
  specs: ReadonlyArray<{ readonly unitKey: string; readonly payload: string }>,
  rebuild: boolean
): PlanChange => {
  const known = new Map(existing.map((u) => [u.unit_key, u]))
  const seen = new Set<string>()
  const writes: Array<UnitWrite> = []
  let kept = 0
  for (const spec of specs) {
    if (seen.has(spec.unitKey)) continue
    seen.add(spec.unitKey)
    if (!rebuild && known.has(spec.unitKey)) {
      kept++
      continue
    }
    writes.push(newUnit(job, spec.unitKey, spec.payload))
  }
  if (rebuild) {
    // Units the new plan no longer lists start over too: a rebuild leaves nothing half-done behind.
    for (const u of existing) if (!seen.has(u.unit_key)) writes.push(newUnit(job, u.unit_key, u.payload))
  }
  const discardedDone = rebuild ? existing.filter((u) => u.status === "done").length : 0
  const added = writes.filter((w) => !known.has(w.unit_key)).length
  const total = rebuild ? writes.length : existing.length + writes.length
  return { writes, added, kept, discardedDone, total }
}

/** Which units a run takes, in the order it takes them. */
export interface Selection {
  readonly retryErrors: boolean
  readonly shard: Shard
  readonly skip: number
  readonly limit: number | undefined
  /** Epoch seconds; units with a span that ends before `since` or starts at/after `until` are left out. */
  readonly since: number | undefined
  readonly until: number | undefined
  /** In-progress units owned by a run that is still alive (issue 5: heartbeats); left alone. */
  readonly liveRuns?: ReadonlySet<string>
}

export const runnableStatuses = (retryErrors: boolean): ReadonlyArray<UnitStatus> =>
  retryErrors ? ["pending", "in_progress", "error"] : ["pending", "in_progress"]

export interface UnitSpan {
  readonly from: number
  readonly to: number
}

export const selectUnits = <U extends UnitHead>(
  units: ReadonlyArray<U>,
  selection: Selection,
  span?: (unit: U) => UnitSpan | undefined,
  rank?: (unit: U) => number | undefined
): Array<U> => {
  const byKey = (a: U, b: U) => (a.unit_key < b.unit_key ? -1 : a.unit_key > b.unit_key ? 1 : 0)
  const ranks = rank === undefined ? undefined : new Map(units.map((u) => [u, rank(u) ?? Number.MAX_SAFE_INTEGER]))
  const statuses = new Set(runnableStatuses(selection.retryErrors))
  const picked = units
    .filter((u) => statuses.has(u.status) && inShard(selection.shard, u.shard_hash))
    .filter((u) => !(u.status === "in_progress" && selection.liveRuns?.has(u.run_id) === true))
    .filter((u) => {
      if (span === undefined || (selection.since === undefined && selection.until === undefined)) return true
      const s = span(u)
      if (s === undefined) return true
      return (selection.since === undefined || s.to >= selection.since) && (selection.until === undefined || s.from < selection.until)
    })
    .sort(ranks === undefined ? byKey : (a, b) => ranks.get(a)! - ranks.get(b)! || byKey(a, b))
  const from = picked.slice(selection.skip)
  return selection.limit === undefined ? from : from.slice(0, selection.limit)
}

/** The unit as this run holds it. */
export const claimed = (row: BackfillUnitRow | UnitWrite, runId: string, nowS: number): UnitWrite => ({
  ...withoutVersion(row),
  status: "in_progress",
  run_id: runId,
  last_run_at: nowS
})

export const checkpointed = (row: UnitWrite, cursor: string, rows: number, nowS: number): UnitWrite => ({
  ...row,
  cursor,
  rows,
  last_run_at: nowS
})

export const finished = (row: UnitWrite, cursor: string, rows: number, nowS: number): UnitWrite => ({
  ...row,
  status: "done",
  cursor,
  rows,
  attempts: row.attempts + 1,
  error_message: "",
  last_run_at: nowS
})

export const failed = (row: UnitWrite, cursor: string, rows: number, message: string, nowS: number): UnitWrite => ({
  ...row,
  status: "error",
  cursor,
  rows,
  attempts: row.attempts + 1,
  error_message: message.slice(0, 2000),
  last_run_at: nowS
})

/** Back to pending at the cursor it reached (the next run resumes there), with no error and no owner: `reset`. */
export const resetToPending = (row: BackfillUnitRow): UnitWrite => ({ ...withoutVersion(row), status: "pending", error_message: "", run_id: "" })

/** Back to pending after a clean stop, keeping the cursor so the next run resumes mid-unit. */
export const released = (row: UnitWrite, cursor: string, rows: number, nowS: number): UnitWrite => ({
  ...row,
  status: "pending",
  cursor,
  rows,
  last_run_at: nowS
})

/** The key `latestByKey` files a unit under. */
export const unitRowKey = (job: string, unitKey: string): string => `${job}\u0000${unitKey}`

/**
 * The newest row per unit key (the ReplacingMergeTree rule: highest version wins, later insert on a
 * tie), added to `out`, which may already hold the winners of earlier rows (an index kept up to date).
 */
export const latestByKey = (rows: Iterable<BackfillUnitRow>, out = new Map<string, BackfillUnitRow>()): Map<string, BackfillUnitRow> => {
  for (const row of rows) {
    const key = unitRowKey(row.job, row.unit_key)
    const prev = out.get(key)
    if (prev === undefined || row.version >= prev.version) out.set(key, row)
  }
  return out
}
