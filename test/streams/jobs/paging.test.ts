import { describe, expect, it } from "@effect/vitest"
import { Cause, Chunk, Effect, Exit, Layer, Option, Stream } from "effect"
import type { FillCursor } from "../../../src/domain/cursors.js"
import { SourceError } from "../../../src/domain/errors.js"
import type { GammaKeysetRequest } from "../../../src/services/GammaSource.js"
import { GammaSource } from "../../../src/services/GammaSource.js"
import { GoldskySource } from "../../../src/services/GoldskySource.js"
import type { Page } from "../../../src/streams/Job.js"
import { fillsFetcher } from "../../../src/streams/jobs/fills.js"
import { marketsJob } from "../../../src/streams/jobs/markets.js"
import { market } from "../../domain/gammaFixture.js"
import { rowsOf } from "./support.js"

// The paging logic of the jobs over in-memory ports; the HTTP clients are tested against the simulator.

const collect = <R>(stream: Stream.Stream<Page, SourceError, R>) => Stream.runCollect(stream).pipe(Effect.map(Chunk.toReadonlyArray))
const failureOf = <A>(exit: Exit.Exit<A, SourceError>) =>
  Exit.isFailure(exit) ? Option.getOrThrow(Cause.failureOption(exit.cause)) : expect.fail("expected a failure")

const gammaPages = (pages: Record<string, { markets: ReadonlyArray<unknown>; next?: string }>, seen: Array<GammaKeysetRequest>) =>
  Layer.succeed(GammaSource, {
    marketsKeyset: (request) =>
      Effect.sync(() => {
        seen.push(request)
        const page = pages[request.afterCursor] ?? { markets: [] }
        return { markets: page.markets, nextCursor: page.next }
      })
  })

const aMarket = (n: number) => ({ ...market, id: String(n), conditionId: "0x" + n.toString(16).padStart(64, "0") })

describe("markets paging", () => {
  it.effect("sends closed and after_cursor on every page, resumes from the stored cursor, stops when next_cursor is absent", () =>
    Effect.gen(function* () {
      const seen: Array<GammaKeysetRequest> = []
      const layer = gammaPages({ "": { markets: [aMarket(1)], next: "c1" }, c1: { markets: [aMarket(2)], next: "c2" }, c2: { markets: [aMarket(3)] } }, seen)
      const all = yield* collect(marketsJob.fetch({ unitKey: "closed", payload: '{"closed":true}', cursor: "" })).pipe(Effect.provide(layer))
      expect(seen.map((r) => [r.closed, r.afterCursor])).toEqual([[true, ""], [true, "c1"], [true, "c2"]])
      expect(all.map((p) => Option.getOrNull(p.next))).toEqual(["c1", "c2", null])
      seen.length = 0
      const resumed = yield* collect(marketsJob.fetch({ unitKey: "open", payload: '{"closed":false}', cursor: "c2" })).pipe(Effect.provide(layer))
      expect(seen.map((r) => [r.closed, r.afterCursor])).toEqual([[false, "c2"]])
      expect(rowsOf(resumed, "markets").map((r) => r.market_id)).toEqual(["3"])
    }))

  it.effect("a cursor that comes back (stuck or cycling) fails the unit with one clear line instead of looping", () =>
    Effect.gen(function* () {
      const layer = gammaPages({ "": { markets: [aMarket(1)], next: "c1" }, c1: { markets: [aMarket(2)], next: "c2" }, c2: { markets: [aMarket(3)], next: "c1" } }, [])
      const exit = yield* Effect.exit(collect(marketsJob.fetch({ unitKey: "closed", payload: '{"closed":true}', cursor: "" })).pipe(Effect.provide(layer)))
      expect(failureOf(exit).message).toMatch(/^markets unit closed: Gamma sent next_cursor "c1" again, so paging would never end/)
    }))

  it.effect("a page size Gamma refuses (400/422) is asked again at 100, kept for the rest of the unit", () =>
    Effect.gen(function* () {
      const seen: Array<GammaKeysetRequest> = []
      const layer = Layer.succeed(GammaSource, {
        marketsKeyset: (request) => {
          seen.push(request)
          return request.limit > 100
            ? Effect.fail(new SourceError({ reason: "Fatal", host: "g", status: 422, message: "HTTP 422: limit too large" }))
            : Effect.succeed(request.afterCursor === "" ? { markets: [aMarket(1)], nextCursor: "c1" } : { markets: [aMarket(2)], nextCursor: undefined })
        }
      })
      const pages = yield* collect(marketsJob.fetch({ unitKey: "closed", payload: '{"closed":true}', cursor: "" })).pipe(Effect.provide(layer))
      expect(rowsOf(pages, "markets")).toHaveLength(2)
      expect(seen.map((r) => [r.afterCursor, r.limit])).toEqual([["", 500], ["", 100], ["c1", 100]])
    }))

  it.effect("an unreadable stored cursor or payload fails the unit with the way out", () =>
    Effect.gen(function* () {
      const layer = gammaPages({}, [])
      const badCursor = yield* Effect.exit(collect(marketsJob.fetch({ unitKey: "closed", payload: '{"closed":true}', cursor: "a b" })).pipe(Effect.provide(layer)))
      expect(failureOf(badCursor).message).toMatch(/unreadable markets cursor .*polybackfill plan markets --rebuild/)
      const badPayload = yield* Effect.exit(collect(marketsJob.fetch({ unitKey: "closed", payload: "{}", cursor: "" })).pipe(Effect.provide(layer)))
      expect(failureOf(badPayload).message).toMatch(/unreadable payload/)
    }))
})

const TOKEN = "7".repeat(77)
const PAYLOAD = JSON.stringify({ conditionId: "0x" + "c".repeat(64), tokenIds: [TOKEN, "8".repeat(76)] })
const hex = (n: number, width: number) => "0x" + n.toString(16).padStart(width, "0")
const event = (n: number, ts: number) => ({
  id: `${hex(n, 64)}_${hex(n + 1, 64)}`,
  transactionHash: hex(n, 64),
  timestamp: String(ts),
  orderHash: hex(n + 1, 64),
  maker: hex(n, 40),
  taker: hex(n + 2, 40),
  makerAssetId: "0",
  takerAssetId: TOKEN,
  makerAmountFilled: "1000000",
  takerAmountFilled: "2000000",
  fee: "0"
})

/** A subgraph over `events` with graph-node's semantics for the two queries the job sends. */
const subgraph = (events: ReadonlyArray<Record<string, unknown>>, opts: { ignoreIdGt?: boolean; headFails?: boolean } = {}) => {
  const asked: Array<FillCursor> = []
  const layer = Layer.succeed(GoldskySource, {
    orderFilledEvents: (_tokens, cursor, first) =>
      Effect.sync(() => {
        asked.push(cursor)
        const ts = (e: Record<string, unknown>) => Number(e.timestamp)
        const id = (e: Record<string, unknown>) => String(e.id)
        const byId = (a: Record<string, unknown>, b: Record<string, unknown>) => (id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0)
        const rows =
          cursor.stickyId === undefined
            ? events.filter((e) => ts(e) > Number(cursor.ts)).sort((a, b) => ts(a) - ts(b) || byId(a, b))
            : events.filter((e) => ts(e) === Number(cursor.ts) && (opts.ignoreIdGt === true || id(e) > cursor.stickyId!)).sort(byId)
        return rows.slice(0, first)
      }),
    head: opts.headFails === true ? Effect.fail(new SourceError({ reason: "Fatal", host: "g", message: "no _meta" })) : Effect.succeed({ block: 1, timestamp: Option.some(1) }),
    probe: Effect.void
  })
  return { asked, layer }
}

describe("fills paging by the sticky (timestamp, id) cursor", () => {
  it.effect("ten rows sharing one timestamp over pages of three: every row once, then past that timestamp", () =>
    Effect.gen(function* () {
      const events = [event(1, 5), ...Array.from({ length: 10 }, (_, k) => event(100 + k * 4, 7)), event(200, 9), event(204, 9)]
      const { asked, layer } = subgraph(events, { headFails: true })
      const pages = yield* collect(fillsFetcher({ pageSize: 3 })({ unitKey: "m", payload: PAYLOAD, cursor: "" })).pipe(Effect.provide(layer))
      const ids = rowsOf(pages, "clob_fills").map((r) => r.fill_id)
      expect(ids).toHaveLength(events.length)
      expect(new Set(ids).size).toBe(events.length)
      // [5, 7a, 7b] full -> inside 7: [7c..7e], [7f..7h], [7i, 7j] short -> past 7: [9a, 9b] short -> done.
      expect(asked.map((c) => (c.stickyId === undefined ? `>${c.ts}` : `=${c.ts}`))).toEqual([">0", "=7", "=7", "=7", ">7"])
    }))

  it.effect("a malformed row is quarantined with its reason and the cursor still moves past it", () =>
    Effect.gen(function* () {
      const bad = { ...event(9, 6), maker: "not-an-address" }
      const { layer } = subgraph([event(1, 5), bad, event(20, 7)])
      const pages = yield* collect(fillsFetcher({ pageSize: 2 })({ unitKey: "m", payload: PAYLOAD, cursor: "" })).pipe(Effect.provide(layer))
      expect(rowsOf(pages, "clob_fills")).toHaveLength(2)
      const quarantined = pages.flatMap((p) => p.quarantine)
      expect(quarantined).toHaveLength(1)
      expect(quarantined[0]!.reason).toMatch(/^malformed OrderFilledEvent: maker: /)
      expect(JSON.parse(quarantined[0]!.raw)).toEqual(bad)
    }))

  it.effect("a subgraph that ignores id_gt would repeat forever: the unit fails saying the cursor does not advance", () =>
    Effect.gen(function* () {
      const { layer } = subgraph(Array.from({ length: 5 }, (_, k) => event(k * 4, 7)), { ignoreIdGt: true })
      const exit = yield* Effect.exit(collect(fillsFetcher({ pageSize: 2 })({ unitKey: "m", payload: PAYLOAD, cursor: "" })).pipe(Effect.provide(layer)))
      expect(failureOf(exit).message).toMatch(/^fills unit m: the subgraph sent the same page again .*the cursor does not advance/)
    }))

  it.effect("a full page without one readable id fails rather than skip what follows", () =>
    Effect.gen(function* () {
      const { layer } = subgraph([{ ...event(1, 5), id: "bad id!" }, { ...event(2, 5), id: "bad id?" }, event(3, 6)])
      const exit = yield* Effect.exit(collect(fillsFetcher({ pageSize: 2 })({ unitKey: "m", payload: PAYLOAD, cursor: "" })).pipe(Effect.provide(layer)))
      expect(failureOf(exit).reason).toBe("Decode")
      expect(failureOf(exit).message).toMatch(/without skipping rows/)
    }))

  it.effect("a unit resumes inside a timestamp from its stored cursor", () =>
    Effect.gen(function* () {
      const events = Array.from({ length: 4 }, (_, k) => event(k * 4, 7))
      const { asked, layer } = subgraph(events)
      const cursor = JSON.stringify({ ts: "7", stickyId: events[1]!.id })
      const pages = yield* collect(fillsFetcher({ pageSize: 2 })({ unitKey: "m", payload: PAYLOAD, cursor })).pipe(Effect.provide(layer))
      expect(rowsOf(pages, "clob_fills").map((r) => r.tx_hash)).toEqual([events[2]!.transactionHash, events[3]!.transactionHash])
      expect(asked[0]).toEqual({ ts: "7", stickyId: events[1]!.id })
    }))
})
