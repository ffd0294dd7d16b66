import { Either, Schema } from "effect"
import { decodeFillCursor } from "../domain/cursors.js"
import { formatCount } from "../domain/progress.js"
import type { BackfillUnitRow } from "../domain/tables.js"

const Window = Schema.parseJson(Schema.Struct({ from: Schema.optional(Schema.Number), to: Schema.optional(Schema.Number) }))
const decodeWindow = Schema.decodeUnknownEither(Window)

export interface FillsCoverage {
  /** Done units whose cursor kept the subgraph's head. */
  readonly markets: number
  /** The earliest head among them (epoch s). */
  readonly head: number | undefined
  /** Markets whose trading window reaches past their unit's head, and the seconds of trading past it / in all. */
  readonly pastHead: number
  readonly pastSeconds: number
  readonly windowSeconds: number
}

/** How much of the done markets' trading lies past what the subgraph could answer: the gap the onchain job fills. */
export const fillsCoverage = (units: ReadonlyArray<BackfillUnitRow>, nowS: number): FillsCoverage => {
  let markets = 0
  let head: number | undefined
  let pastHead = 0
  let pastSeconds = 0
  let windowSeconds = 0
  for (const u of units) {
    if (u.status !== "done") continue
    const cursor = Either.getOrUndefined(decodeFillCursor(u.cursor))
    const window = Either.getOrUndefined(decodeWindow(u.payload))
    if (cursor?.head === undefined || window?.from === undefined) continue
    const h = Number(cursor.head)
    markets++
    head = head === undefined ? h : Math.min(head, h)
    const to = window.to ?? nowS
    windowSeconds += Math.max(0, to - window.from)
    const past = Math.max(0, to - Math.max(window.from, h))
    if (past > 0) pastHead++
    pastSeconds += past
  }
  return { markets, head, pastHead, pastSeconds, windowSeconds }
}

const iso = (s: number) => new Date(s * 1000).toISOString().replace(".000Z", "Z")
const pct = (part: number, whole: number) => `${whole > 0 ? Math.round((part / whole) * 100) : 0}%`

/** One line, or none when no done unit kept a head. */
export const formatFillsCoverage = (c: FillsCoverage): ReadonlyArray<string> =>
  c.head === undefined
    ? []
    : [
        `the subgraph answered up to ${iso(c.head)}: ${formatCount(c.pastHead)} of ${formatCount(c.markets)} done markets (${pct(c.pastHead, c.markets)}) ` +
          `traded past it, ${pct(c.pastSeconds, c.windowSeconds)} of their trading time; \`polybackfill plan onchain\` and \`polybackfill run onchain\` read those fills from the chain`
      ]
