import { Effect, Schema } from "effect"
import type { ClickHouseError } from "../../src/domain/errors.js"
import type { ClickHouseApi } from "../../src/services/ClickHouse.js"
import type { FillRow, FillTruth } from "../support/fills.js"
import { FILL_FLOAT_COLUMNS, sameFillFloats } from "../support/fills.js"

const N = Schema.Union(Schema.Number, Schema.NumberFromString)
import type { UnitRow } from "./database.js"
import { fillUnits } from "./database.js"

export const countByMarket = (fills: Iterable<{ readonly condition_id: string }>): Map<string, number> => {
  const out = new Map<string, number>()
  for (const f of fills) out.set(f.condition_id, (out.get(f.condition_id) ?? 0) + 1)
  return out
}

/** Equal in every column; the doubles within 1e-12 (18.16 parses 3.53 as 3.5300000000000002 at times). */
const sameFill = (row: FillRow, truth: FillTruth): boolean => {
  for (const [k, v] of Object.entries(truth)) {
    if ((FILL_FLOAT_COLUMNS as ReadonlyArray<string>).includes(k)) continue
    if ((row as Record<string, unknown>)[k] !== v) return false
  }
  return sameFillFloats(row, truth)
}

export interface FillComparison {
  /** The ground truth minus the fills `excused` (quarantined: only a malformed copy ever arrived). */
  readonly expected: number
  readonly found: number
  /** Truth rows absent from ClickHouse and not excused. */
  readonly missing: ReadonlyArray<string>
  /** Rows in ClickHouse that the simulator never served. */
  readonly extra: ReadonlyArray<string>
  /** Rows whose columns differ from the truth. */
  readonly wrong: ReadonlyArray<string>
  /** Excused fills that arrived intact anyway (a later fetch of the same page). */
  readonly excusedButFound: number
  readonly exact: boolean
}

export const compareFills = (
  rows: ReadonlyArray<FillRow>,
  truth: ReadonlyArray<FillTruth>,
  excused: ReadonlySet<string> = new Set()
): FillComparison => {
  const found = new Map(rows.map((r) => [r.fill_id, r]))
  const truthIds = new Set(truth.map((t) => t.fill_id))
  const missing: Array<string> = []
  const wrong: Array<string> = []
  let excusedButFound = 0
  for (const t of truth) {
    const row = found.get(t.fill_id)
    if (row === undefined) {
      if (!excused.has(t.fill_id)) missing.push(t.fill_id)
    } else {
      if (excused.has(t.fill_id)) excusedButFound++
      if (!sameFill(row, t)) wrong.push(t.fill_id)
    }
  }
  const extra = rows.filter((r) => !truthIds.has(r.fill_id)).map((r) => r.fill_id)
  const expected = truth.filter((t) => !excused.has(t.fill_id)).length
  return { expected, found: rows.length, missing, extra, wrong, excusedButFound, exact: missing.length === 0 && extra.length === 0 && wrong.length === 0 }
}

export const describeComparison = (c: FillComparison): string =>
  c.exact
    ? `clob_fills FINAL equals the ground truth (${c.found} fills)`
    : `clob_fills FINAL differs from the ground truth: ${c.missing.length} missing (e.g. ${c.missing[0] ?? "-"}), ` +
      `${c.extra.length} not in the truth, ${c.wrong.length} with wrong columns (e.g. ${c.wrong[0] ?? "-"})`

/**
 * Units marked done whose fills are not all in ClickHouse (FINAL), i.e. a `done` written past
 * unwritten rows. Read units first, rows second: rows only ever grow, so the check holds mid-run too.
 * `excusedPerMarket`: fills of a market that only arrived malformed (quarantined).
 */
export const doneWithoutRows = (
  clickhouse: ClickHouseApi,
  truthPerMarket: ReadonlyMap<string, number>,
  excusedPerMarket: ReadonlyMap<string, number> = new Map()
): Effect.Effect<ReadonlyArray<string>, ClickHouseError> =>
  Effect.gen(function* () {
    const done = (yield* fillUnits(clickhouse)).filter((u: UnitRow) => u.status === "done")
    const rows = yield* clickhouse.query(
      "SELECT condition_id, count() AS n FROM clob_fills FINAL GROUP BY condition_id",
      Schema.Struct({ condition_id: Schema.String, n: N })
    )
    const have = new Map(rows.map((r) => [r.condition_id, r.n]))
    return done
      .filter((u) => (have.get(u.unit_key) ?? 0) < (truthPerMarket.get(u.unit_key) ?? 0) - (excusedPerMarket.get(u.unit_key) ?? 0))
      .map((u) => u.unit_key)
  })
