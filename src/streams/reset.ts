import { Effect } from "effect"
import type { UnitStatus } from "../domain/tables.js"
import { resetToPending } from "../domain/units.js"
import { UnitStore } from "../services/UnitStore.js"

export type ResettableStatus = Extract<UnitStatus, "error" | "in_progress">

export interface ResetResult {
  readonly job: string
  readonly from: ResettableStatus
  readonly units: ReadonlyArray<{ readonly unitKey: string; readonly cursor: string; readonly message: string }>
}

/**
 * `reset <job> --status error|in_progress [--unit KEY]`: the runbook's UPDATEs, through the unit store
 * (either checkpoint), as new versions of the units, so nothing is edited in place.
 */
export const resetUnits = (job: string, from: ResettableStatus, unitKey: string | undefined) =>
  Effect.gen(function* () {
    const store = yield* UnitStore
    const picked = (yield* store.load(job)).filter((u) => u.status === from && (unitKey === undefined || u.unit_key === unitKey))
    if (picked.length > 0) yield* store.save(picked.map(resetToPending))
    const result: ResetResult = {
      job,
      from,
      units: picked.map((u) => ({ unitKey: u.unit_key, cursor: u.cursor, message: u.error_message })).sort((a, b) => (a.unitKey < b.unitKey ? -1 : 1))
    }
    return result
  })

const SHOWN = 20

export const formatReset = (r: ResetResult, unitKey: string | undefined): ReadonlyArray<string> => {
  if (r.units.length === 0) {
    return [`${r.job}: no unit${unitKey === undefined ? "" : ` ${unitKey}`} in ${r.from}: nothing changed`]
  }
  const lines = r.units
    .slice(0, SHOWN)
    .map((u) => `  ${u.unitKey}: ${r.from} -> pending${u.cursor === "" ? "" : " (resumes from its cursor)"}${u.message === "" ? "" : `; was: ${u.message.slice(0, 160)}`}`)
  if (r.units.length > SHOWN) lines.push(`  ... and ${r.units.length - SHOWN} more`)
  return [`${r.job}: ${r.units.length} unit${r.units.length === 1 ? "" : "s"} from ${r.from} back to pending:`, ...lines]
}
