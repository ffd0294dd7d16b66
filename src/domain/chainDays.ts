/** UTC days as the `onchain` job's units: parsing, listing, and which part of a day a window covers. */

export const DAY_S = 86_400

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/

/** Epoch seconds of 00:00 UTC of a YYYY-MM-DD day, or undefined when it is not a real day. */
export const dayStart = (day: string): number | undefined => {
  const m = DAY.exec(day)
  if (m === null) return undefined
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))
  return Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== day ? undefined : ms / 1000
}

export const dayOf = (timestamp: number): string => new Date(Math.floor(timestamp / DAY_S) * DAY_S * 1000).toISOString().slice(0, 10)

/** Every day from `from` to `to`, inclusive (both valid days). */
export const daysBetween = (from: string, to: string): ReadonlyArray<string> => {
  const out: Array<string> = []
  for (let t = dayStart(from)!; t <= dayStart(to)!; t += DAY_S) out.push(dayOf(t))
  return out
}

/** What `plan onchain` covers: UTC days, or a block range (cut at day boundaries too), or by default everything. */
export type PlanWindow =
  | { readonly by: "dates"; readonly from: string; readonly to: string }
  | { readonly by: "blocks"; readonly from: number; readonly to: number }
  | { readonly by: "default" }

/** A day's block range as planned: `key` is the day, or `day:from-to` when a block window cuts it. */
export interface DayUnit {
  readonly key: string
  readonly day: string
  readonly from: number
  readonly to: number
}

/** The unit of a day for a window: the whole day, or the part a block window keeps (undefined when none). */
export const dayUnit = (day: string, range: { readonly from: number; readonly to: number }, window: PlanWindow): DayUnit | undefined => {
  if (window.by !== "blocks") return { key: day, day, ...range }
  const from = Math.max(range.from, window.from)
  const to = Math.min(range.to, window.to)
  if (from > to) return undefined
  return from === range.from && to === range.to ? { key: day, day, from, to } : { key: `${day}:${from}-${to}`, day, from, to }
}
