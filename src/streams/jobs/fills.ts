import { Clock, Effect, Either, Option, Schema, Stream } from "effect"
import type { FillCursor as FillCursorType } from "../../domain/cursors.js"
import { decodeFillCursor, encodeFillCursor, FillCursor } from "../../domain/cursors.js"
import { decodeReason } from "../../domain/decodeReason.js"
import { SourceError } from "../../domain/errors.js"
import type { TokenMap } from "../../domain/fills.js"
import { deriveFillV1 } from "../../domain/fills.js"
import { GOLDSKY_PAGE_SIZE, nextFillCursor, OrderFilledEvent, readOrderFilledEvent } from "../../domain/goldsky.js"
import { FillsPlan } from "../../domain/statements.js"
import { TABLES } from "../../domain/tables.js"
import type { ClobFillRow } from "../../domain/tables.js"
import { ClickHouse } from "../../services/ClickHouse.js"
import { GoldskySource } from "../../services/GoldskySource.js"
import type { Job, Page, UnitSpec, UnitToFetch } from "../Job.js"
import { NothingToPlan } from "../plan.js"
import { probeSource } from "../Job.js"

const TokenId = Schema.String.pipe(Schema.pattern(/^\d{1,78}$/))

/** A fills unit's payload: the market, its token ids in outcome order, and when it traded (epoch seconds). */
const FillsPayload = Schema.Struct({
  conditionId: Schema.String,
  tokenIds: Schema.NonEmptyArray(TokenId),
  from: Schema.optional(Schema.Number),
  to: Schema.optional(Schema.Number)
})
type FillsPayload = typeof FillsPayload.Type
const FillsPayloadJson = Schema.parseJson(FillsPayload)
const decodePayload = Schema.decodeUnknownEither(FillsPayloadJson)

const N = Schema.Union(Schema.Number, Schema.NumberFromString)
const MarketDates = Schema.Struct({ condition_id: Schema.String, start_date: N, end_date: N, closed_time: N, closed: N })

/** A market trades from its start until it closes; an open one (or one with no dates) has no end yet. */
const tradingWindow = (m: typeof MarketDates.Type | undefined): { from?: number; to?: number } => {
  if (m === undefined) return {}
  const end = m.closed_time > 0 ? m.closed_time : m.closed === 1 && m.end_date > 0 ? m.end_date : 0
  return { ...(m.start_date > 0 ? { from: m.start_date } : {}), ...(end > 0 ? { to: end } : {}) }
}

/**
 * One unit per market of market_tokens (read with FINAL), tokens in outcome order, with its trading
 * window. No markets yet is a failure that says to run markets, not a plan of zero units.
 */
export const planFills = Effect.gen(function* () {
  const ch = yield* ClickHouse
  const tokens = yield* ch.query(FillsPlan.tokens.sql(), FillsPlan.tokens.rows)
  if (tokens.length === 0) {
    return yield* new NothingToPlan({
      job: "fills",
      message: `no markets in ${ch.database} to plan fills from: run \`polybackfill run markets\` first (after \`polybackfill plan markets\`)`
    })
  }
  const dates = yield* ch.query(FillsPlan.marketDates.sql(), FillsPlan.marketDates.rows)
  const datesOf = new Map(dates.map((d) => [d.condition_id, d]))
  const byMarket = new Map<string, Array<string>>()
  for (const r of tokens) {
    const list = byMarket.get(r.condition_id) ?? []
    list.push(r.token_id)
    byMarket.set(r.condition_id, list)
  }
  return [...byMarket].map(([conditionId, tokenIds]): UnitSpec => ({
    unitKey: conditionId,
    payload: JSON.stringify({ conditionId, tokenIds, ...tradingWindow(datesOf.get(conditionId)) })
  }))
})

const unitFailure = (unitKey: string, reason: "Fatal" | "Decode", message: string) =>
  new SourceError({ reason, host: "goldsky", message: `fills unit ${unitKey}: ${message}` })

/** The (id, timestamp) a raw event offers as a cursor, when both are safe to send back. */
const cursorOf = (raw: unknown): FillCursorType | undefined => {
  if (raw === null || typeof raw !== "object" || !("id" in raw) || !("timestamp" in raw)) return undefined
  const candidate = { ts: String(raw.timestamp), stickyId: String(raw.id) }
  return Schema.is(FillCursor)(candidate) ? candidate : undefined
}

const decodeEvent = Schema.decodeUnknownEither(OrderFilledEvent)

/** A done unit keeps where it ended and the subgraph's head then: `status fills` tells how much of the market lies past it. */
const finalCursor = (cursor: FillCursorType, last: FillCursorType | undefined) =>
  Effect.flatMap(GoldskySource, (g) =>
    Effect.map(Effect.option(g.head), (head) => {
      const ts = Option.flatMap(head, (h) => h.timestamp)
      return encodeFillCursor({ ts: last?.ts ?? cursor.ts, ...(Option.isSome(ts) ? { head: String(ts.value) } : {}) })
    })
  )

const sameCursor = (a: FillCursorType, b: FillCursorType) => a.ts === b.ts && a.stickyId === b.stickyId

const fetchPage = (unit: UnitToFetch, market: FillsPayload, tokens: TokenMap, cursor: FillCursorType, pageSize: number) =>
  Effect.gen(function* () {
    const goldsky = yield* GoldskySource
    const events = yield* goldsky.orderFilledEvents(market.tokenIds, cursor, pageSize)
    const now = Math.floor((yield* Clock.currentTimeMillis) / 1000)
    const fills: Array<ClobFillRow> = []
    const quarantine: Array<Page["quarantine"][number]> = []
    for (const raw of events) {
      const e = readOrderFilledEvent(raw)
      if (e === undefined) {
        const reason = Either.match(decodeEvent(raw), { onLeft: decodeReason, onRight: () => "rejected by the fast check" })
        quarantine.push({ source: "goldsky", reason: `malformed OrderFilledEvent: ${reason}`, raw: JSON.stringify(raw) })
        continue
      }
      const fill: ClobFillRow = deriveFillV1(
        {
          txHash: e.transactionHash,
          orderHash: e.orderHash,
          timestamp: Number(e.timestamp),
          maker: e.maker,
          taker: e.taker,
          makerAssetId: e.makerAssetId,
          takerAssetId: e.takerAssetId,
          makerAmountFilled: e.makerAmountFilled,
          takerAmountFilled: e.takerAmountFilled,
          fee: e.fee
        },
        tokens,
        "goldsky",
        now
      )
      fills.push(fill)
    }
    // The last row that offers a cursor (bad rows included): read from the end, it is usually the last.
    let last: FillCursorType | undefined
    for (let i = events.length - 1; i >= 0 && last === undefined; i--) last = cursorOf(events[i])
    if (events.length >= pageSize && last === undefined) {
      return yield* Effect.fail(
        unitFailure(unit.unitKey, "Decode", "a full page had no row with a readable id and timestamp, so paging cannot go on without skipping rows")
      )
    }
    // The cursor follows every row received, bad ones included: a bad row is quarantined once, not refetched forever.
    const next = nextFillCursor(cursor, events.length, last === undefined ? undefined : { id: last.stickyId!, timestamp: last.ts }, pageSize)
    if (next !== undefined && sameCursor(next, cursor)) {
      return yield* Effect.fail(unitFailure(unit.unitKey, "Fatal", `the subgraph sent the same page again at ${encodeFillCursor(cursor)}: the cursor does not advance`))
    }
    const final = next === undefined ? yield* finalCursor(cursor, last) : undefined
    const page: Page = {
      rows: [{ table: TABLES.clobFills, rows: fills as unknown as ReadonlyArray<Record<string, unknown>> }],
      quarantine,
      next: next === undefined ? Option.none() : Option.some(encodeFillCursor(next)),
      ...(final === undefined ? {} : { final })
    }
    return [page, Option.fromNullable(next)] as const
  })

export interface FillsJobOptions {
  /** `first` of each subgraph query; graph-node caps it at 1000. */
  readonly pageSize: number
}

interface Prepared {
  readonly market: FillsPayload
  readonly tokens: TokenMap
  readonly start: FillCursorType
}

const prepare = (unit: UnitToFetch): Either.Either<Prepared, SourceError> => {
  const payload = decodePayload(unit.payload)
  if (Either.isLeft(payload)) {
    return Either.left(unitFailure(unit.unitKey, "Fatal", "unreadable payload: rebuild the plan with `polybackfill plan fills --rebuild`"))
  }
  const start = decodeFillCursor(unit.cursor)
  if (Either.isLeft(start)) return Either.left(unitFailure(unit.unitKey, "Fatal", start.left))
  const market = payload.right
  const tokens: TokenMap = new Map(market.tokenIds.map((t, outcomeIndex) => [t, { conditionId: market.conditionId, outcomeIndex }]))
  return Either.right({ market, tokens, start: start.right })
}

// The head is asked once per run (the source remembers it) and logged, so a gap after it is visible.
const reportHead = Effect.flatMap(GoldskySource, (g) => Effect.ignore(g.head))

/** Fetches one market's fills (needs only the subgraph: ClickHouse is for planning). */
export const fillsFetcher =
  (options: FillsJobOptions = { pageSize: GOLDSKY_PAGE_SIZE }) =>
  (unit: UnitToFetch): Stream.Stream<Page, SourceError, GoldskySource> => {
    const prepared = prepare(unit)
    if (Either.isLeft(prepared)) return Stream.fail(prepared.left)
    const { market, tokens, start } = prepared.right
    return Stream.unwrap(
      Effect.as(
        reportHead,
        Stream.paginateEffect(start, (cursor: FillCursorType) => fetchPage(unit, market, tokens, cursor, options.pageSize))
      )
    )
  }

/** The one page at the unit's cursor: the engine's fast path, the same pages as `fillsFetcher`. */
export const fillsPage =
  (options: FillsJobOptions = { pageSize: GOLDSKY_PAGE_SIZE }) =>
  (unit: UnitToFetch): Effect.Effect<Page, SourceError, GoldskySource> =>
    Either.match(prepare(unit), {
      onLeft: Effect.fail,
      onRight: ({ market, tokens, start }) =>
        Effect.zipRight(reportHead, Effect.map(fetchPage(unit, market, tokens, start, options.pageSize), ([page]) => page))
    })

/** Order fills of each market from the Goldsky orderbook subgraph, by the sticky (timestamp, id) cursor. */
export const makeFillsJob = (options: FillsJobOptions = { pageSize: GOLDSKY_PAGE_SIZE }): Job<GoldskySource | ClickHouse> => ({
  name: "fills",
  description: "CLOB order fills per market from the Goldsky orderbook subgraph into clob_fills (plan after markets)",
  tables: [TABLES.clobFills],
  plan: planFills,
  span: (unit) => {
    const payload = Schema.decodeUnknownOption(FillsPayloadJson)(unit.payload)
    if (Option.isNone(payload) || (payload.value.from === undefined && payload.value.to === undefined)) return undefined
    return { from: payload.value.from ?? 0, to: payload.value.to ?? Number.MAX_SAFE_INTEGER }
  },
  fetch: fillsFetcher(options),
  page: fillsPage(options),
  sources: ["goldsky"],
  probe: probeSource("goldsky", Effect.flatMap(GoldskySource, (g) => g.probe))
})

export const fillsJob = makeFillsJob()
