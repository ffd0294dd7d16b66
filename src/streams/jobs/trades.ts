import type { Stream } from "effect"
import { Clock, Effect, Either, Option, Schema } from "effect"
import type { ActivityCursorV2, ActivityWindow } from "../../domain/activityPaging.js"
import { afterCap, afterPage, decodeTradesCursor, encodeTradesCursor, isV1 } from "../../domain/activityPaging.js"
import { readActivityRows } from "../../domain/dataApi.js"
import { SourceError } from "../../domain/errors.js"
import { Trades } from "../../domain/statements.js"
import { TABLES } from "../../domain/tables.js"
import { ClickHouse } from "../../services/ClickHouse.js"
import { DataApiSource } from "../../services/DataApiSource.js"
import type { TradesSettingsApi } from "../../services/TradesSettings.js"
import { DEFAULT_TRADES_SETTINGS, TradesSettings } from "../../services/TradesSettings.js"
import { waiting } from "../../services/Waiting.js"
import type { Job, Page, UnitSpec, UnitToFetch } from "../Job.js"
import { pagesOf, probeSource } from "../Job.js"

/** Rows per `/activity` page: the documented maximum (larger values are clamped to it). */
export const ACTIVITY_PAGE_LIMIT = 500

/** 2020-01-01: before Polymarket's first market, so `start` never cuts history (the API's default window is about three years). */
export const POLYMARKET_START = 1_577_836_800

/** A wallet unit's payload: its place in the plan (1 = most CLOB volume) and that volume in USDC. */
const WalletPayload = Schema.parseJson(Schema.Struct({ rank: Schema.Number, volume: Schema.optional(Schema.Number) }))

const settings = Effect.map(Effect.serviceOption(TradesSettings), Option.getOrElse(() => DEFAULT_TRADES_SETTINGS))

/**
 * One unit per wallet: the `top` wallets by CLOB volume (ranked 1, 2, ...), then the wallets file's
 * addresses in file order (a wallet already ranked keeps its rank).
 */
export const planTrades = Effect.gen(function* () {
  const s = yield* settings
  const units: Array<UnitSpec> = []
  const seen = new Set<string>()
  if (s.top !== undefined && s.top > 0) {
    const ch = yield* ClickHouse
    const top = yield* ch.query(Trades.topWallets.sql(s.top), Trades.topWallets.rows)
    for (const w of top) {
      seen.add(w.wallet)
      units.push({ unitKey: w.wallet, payload: JSON.stringify({ rank: units.length + 1, volume: Math.round(w.volume * 100) / 100 }) })
    }
  }
  for (const wallet of s.wallets) {
    if (seen.has(wallet)) continue
    seen.add(wallet)
    units.push({ unitKey: wallet, payload: JSON.stringify({ rank: units.length + 1 }) })
  }
  return units
})

const failure = (unit: UnitToFetch, message: string) => new SourceError({ reason: "Fatal", host: "data-api", message: `trades wallet ${unit.unitKey}: ${message}` })

/** The request bounds: `start` always (from --since, else the beginning), `end` from --until (exclusive day start, so its last second). */
const boundsOf = (s: TradesSettingsApi) => ({ start: s.since ?? POLYMARKET_START, end: s.until === undefined ? null : s.until - 1 })

interface Prepared {
  readonly start: number
  readonly end: number | null
  readonly cursor: ActivityWindow | ActivityCursorV2
}

const page = (options: TradesJobOptions) => (unit: UnitToFetch): Effect.Effect<Page, SourceError, DataApiSource> =>
  Effect.gen(function* () {
    const s = yield* settings
    const { start, end } = boundsOf(s)
    const decoded = decodeTradesCursor(unit.cursor, { api: s.api, to: end })
    if (Either.isLeft(decoded)) return yield* Effect.fail(failure(unit, decoded.left))
    // The runbook's pause between wallets: before a wallet's first request.
    if (unit.cursor === "" && s.sleepMs > 0) yield* waiting(Effect.sleep(s.sleepMs))
    return yield* fetchPage(unit, options, { start, end, cursor: decoded.right })
  })

const fetchPage = (unit: UnitToFetch, options: TradesJobOptions, p: Prepared): Effect.Effect<Page, SourceError, DataApiSource> =>
  Effect.gen(function* () {
    const api = yield* DataApiSource
    const c = p.cursor
    const request = { user: unit.unitKey, start: p.start, limit: options.pageLimit }
    if (isV1(c)) {
      // The window's end: --until's at first, then the oldest second read when the cap narrowed it.
      const answer = yield* api.activity({ ...request, end: c.to, offset: c.offset })
      if ("_tag" in answer) {
        const narrowed = afterCap(c)
        if (typeof narrowed === "string") return yield* Effect.fail(failure(unit, `${narrowed} (${answer.message})`))
        yield* Effect.logDebug(`trades wallet ${unit.unitKey}: offset cap at ${c.offset}, going on in the window ending at ${narrowed.to}`)
        return { rows: [], quarantine: [], next: Option.some(encodeTradesCursor(narrowed)) }
      }
      const read = readActivityRows(answer, "v1")
      const next = afterPage(c, read.timestamps, answer.length, options.pageLimit, c.skipped + read.skipped)
      if (typeof next === "string") return yield* Effect.fail(failure(unit, next))
      return yield* toPage(read, next, c.skipped + read.skipped)
    }
    const answer = yield* api.activityV2({ ...request, end: p.end, cursor: c.next })
    const read = readActivityRows(answer.rows, "v2")
    if (answer.next !== null && answer.next === c.next) return yield* Effect.fail(failure(unit, "the Data-API sent the same next_cursor again: paging would never end"))
    const next = answer.next === null || answer.rows.length === 0 ? undefined : { next: answer.next, skipped: c.skipped + read.skipped }
    return yield* toPage(read, next, c.skipped + read.skipped)
  })

const toPage = (read: ReturnType<typeof readActivityRows>, next: ActivityWindow | ActivityCursorV2 | undefined, skipped: number) =>
  Effect.map(Clock.currentTimeMillis, (nowMs): Page => {
    const now = Math.floor(nowMs / 1000)
    return {
      rows: [{ table: TABLES.externalTrades, rows: read.trades.map((t) => ({ ...t, ingested_at: now })) }],
      quarantine: read.malformed.map((m) => ({ source: "data-api", reason: m.reason, raw: JSON.stringify(m.raw) })),
      next: next === undefined ? Option.none() : Option.some(encodeTradesCursor(next)),
      // A done wallet remembers how many non-TRADE rows the API sent it (none with type=TRADE, as asked).
      ...(next === undefined ? { final: JSON.stringify({ done: true, skipped }) } : {})
    }
  })

/** The one page at the unit's cursor: the engine's fast path, the same pages as `tradesFetcher`. */
export const tradesPage = (options: TradesJobOptions = { pageLimit: ACTIVITY_PAGE_LIMIT }) => page(options)

/** Fetches one wallet's trades (needs only the Data-API: ClickHouse is for planning). */
export const tradesFetcher =
  (options: TradesJobOptions = { pageLimit: ACTIVITY_PAGE_LIMIT }) =>
  (unit: UnitToFetch): Stream.Stream<Page, SourceError, DataApiSource> =>
    pagesOf(page(options))(unit)

export interface TradesJobOptions {
  /** `limit` of each `/activity` request. */
  readonly pageLimit: number
}

/** Each wallet's trades from the Data-API `/activity?type=TRADE` (or `/v2/activity`) into external_trades_raw. */
export const makeTradesJob = (options: TradesJobOptions = { pageLimit: ACTIVITY_PAGE_LIMIT }): Job<DataApiSource | ClickHouse> => ({
  name: "trades",
  description: "each planned wallet's trades from the Data-API /activity into external_trades_raw (plan after fills: wallets ranked by CLOB volume)",
  tables: [TABLES.externalTrades],
  plan: planTrades,
  rank: (unit) => Option.getOrUndefined(Option.map(Schema.decodeUnknownOption(WalletPayload)(unit.payload), (p) => p.rank)),
  fetch: tradesFetcher(options),
  page: tradesPage(options),
  sources: ["dataApi"],
  // One page of a wallet nobody uses: an empty list from the real API, a 404 or no answer from a wrong URL.
  probe: probeSource("dataApi", Effect.flatMap(DataApiSource, (api) => api.activity({ user: PROBE_WALLET, start: 0, end: null, limit: 1, offset: 0 })))
})

const PROBE_WALLET = "0x0000000000000000000000000000000000000001"

export const tradesJob = makeTradesJob()
