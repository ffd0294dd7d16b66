import { Clock, Effect, Schema } from "effect"
import { DAY_S, dayOf, daysBetween, dayStart, dayUnit } from "../domain/chainDays.js"
import type { DayUnit, PlanWindow } from "../domain/chainDays.js"
import { FIRST_EXCHANGE_BLOCK } from "../domain/chainEras.js"
import { IsoDay } from "../domain/ids.js"
import { Onchain } from "../domain/statements.js"
import { BLOCK_TIME_SECONDS } from "../domain/polygon.js"
import { TABLES } from "../domain/tables.js"
import type { ChainDayRow } from "../domain/tables.js"
import { ClickHouse } from "../services/ClickHouse.js"
import { PolygonRpc } from "../services/PolygonRpc.js"

/**
 * The block range of each UTC day, found by binary search on block timestamps and kept in
 * `chain_days`, so each day is searched once. Only days the chain has finished are planned: a day's
 * last block is known only once the chain's head is within one block time of the day's end.
 */

/** A block timestamp reader that asks each block once. */
const timestamps = (rpc: PolygonRpc["Type"]) => {
  const known = new Map<number, number>()
  return (block: number) =>
    known.has(block)
      ? Effect.succeed(known.get(block)!)
      : Effect.flatMap(rpc.blockTimestamps([block]), (map) => {
          const ts = map.get(block)
          if (ts === undefined) return Effect.dieMessage(`the RPC did not return block ${block}`)
          known.set(block, ts)
          return Effect.succeed(ts)
        })
}

/** The first block in [lo, hi] whose timestamp is at least `ts`; hi + 1 when none is. */
export const firstBlockAtOrAfter = <E>(ts: number, lo: number, hi: number, timestampOf: (block: number) => Effect.Effect<number, E>) =>
  Effect.gen(function* () {
    let a = lo
    let b = hi
    while (a <= b) {
      const mid = a + Math.floor((b - a) / 2)
      if ((yield* timestampOf(mid)) >= ts) b = mid - 1
      else a = mid + 1
    }
    return a
  })

export interface PlannedDays {
  readonly units: ReadonlyArray<DayUnit>
  /** Days of the window the chain has not finished yet (left for a later plan). */
  readonly unfinished: number
  /** Days whose range came from chain_days rather than a search. */
  readonly cached: number
}

export const planDays = (window: PlanWindow) =>
  Effect.gen(function* () {
    const rpc = yield* PolygonRpc
    const ch = yield* ClickHouse
    const timestampOf = timestamps(rpc)
    const head = yield* rpc.headBlock
    const headTs = yield* timestampOf(head)
    const [firstDay, lastDay] =
      window.by === "dates"
        ? [window.from, window.to]
        : window.by === "blocks"
          ? [dayOf(yield* timestampOf(window.from)), dayOf(yield* timestampOf(Math.min(window.to, head)))]
          : [dayOf(yield* timestampOf(FIRST_EXCHANGE_BLOCK)), dayOf(headTs)]
    const all = daysBetween(firstDay, lastDay)
    // Polygon makes a block at most every BLOCK_TIME_SECONDS: once the head is that close to a day's
    // end, the next block belongs to the next day, so the day's last block is known.
    const finished = all.filter((d) => dayStart(d)! + DAY_S <= headTs + BLOCK_TIME_SECONDS)
    const cachedRows = finished.length === 0 ? [] : yield* ch.query(
      Onchain.cachedDays.sql(finished.map((d) => Schema.decodeSync(IsoDay)(d))),
      Onchain.cachedDays.rows
    )
    const cache = new Map(cachedRows.map((r) => [r.day, { from: r.from_block, to: r.to_block }]))
    const fresh: Array<ChainDayRow> = []
    const now = Math.floor((yield* Clock.currentTimeMillis) / 1000)
    const units: Array<DayUnit> = []
    let lo = 0
    for (const day of finished) {
      let range = cache.get(day)
      if (range === undefined) {
        const start = dayStart(day)!
        const from = yield* firstBlockAtOrAfter(start, lo, head, timestampOf)
        const to = (yield* firstBlockAtOrAfter(start + DAY_S, from, head, timestampOf)) - 1
        range = { from, to }
        fresh.push({ day, from_block: from, to_block: to, updated_at: now })
      }
      lo = range.to + 1
      const unit = range.from <= range.to ? dayUnit(day, range, window) : undefined
      if (unit !== undefined) units.push(unit)
    }
    if (fresh.length > 0) yield* ch.insert(TABLES.chainDays, fresh as unknown as ReadonlyArray<Record<string, unknown>>)
    return { units, unfinished: all.length - finished.length, cached: cache.size } satisfies PlannedDays
  })
