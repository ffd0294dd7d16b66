import { Clock, Effect, Either, Option, Schema, Stream } from "effect"
import { decodeMarketsCursor, encodeMarketsCursor } from "../../domain/cursors.js"
import { SourceError } from "../../domain/errors.js"
import { decodeGammaMarket, toMarketRows } from "../../domain/gamma.js"
import { TABLES } from "../../domain/tables.js"
import { GammaSource } from "../../services/GammaSource.js"
import type { Job, Page, UnitToFetch } from "../Job.js"
import { probeSource } from "../Job.js"

/** Gamma's keyset cap is unconfirmed (100, 500 or 1000 by source): ask for 500, fall back to 100 if refused. */
export const GAMMA_PAGE_LIMIT = 500
export const GAMMA_SAFE_LIMIT = 100

const Payload = Schema.parseJson(Schema.Struct({ closed: Schema.Boolean }))

/** `closed` is always sent, so both units together cover open and resolved markets. */
const UNITS = [
  { unitKey: "closed", payload: JSON.stringify({ closed: true }) },
  { unitKey: "open", payload: JSON.stringify({ closed: false }) }
] as const

const unitFailure = (unit: UnitToFetch, message: string) =>
  new SourceError({ reason: "Fatal", host: "gamma", message: `markets unit ${unit.unitKey}: ${message}` })

/** What a unit's stream remembers between pages. */
interface PagingState {
  /** Cursors already sent: one coming back means a loop (a stuck or cycling cursor). */
  readonly seen: Set<string>
  limit: number
}

/** A page at the current limit; a 400/422 refusing it is retried once at the smallest reported cap, kept for the unit. */
const keysetPage = (closed: boolean, after: string, state: PagingState) =>
  Effect.flatMap(GammaSource, (gamma) =>
    gamma.marketsKeyset({ closed, afterCursor: after, limit: state.limit }).pipe(
      Effect.catchIf(
        (e) => e.reason === "Fatal" && (e.status === 400 || e.status === 422) && state.limit > GAMMA_SAFE_LIMIT,
        (e) =>
          Effect.zipRight(
            Effect.logWarning(`Gamma refused limit=${state.limit} (${e.message}); going on with limit=${GAMMA_SAFE_LIMIT}`),
            Effect.suspend(() => {
              state.limit = GAMMA_SAFE_LIMIT
              return gamma.marketsKeyset({ closed, afterCursor: after, limit: state.limit })
            })
          )
      )
    )
  )

const fetchPage = (unit: UnitToFetch, closed: boolean, after: string, state: PagingState) =>
  Effect.gen(function* () {
    const seen = state.seen
    const answer = yield* keysetPage(closed, after, state)
    const now = Math.floor((yield* Clock.currentTimeMillis) / 1000)
    const markets: Array<Record<string, unknown>> = []
    const tokens: Array<Record<string, unknown>> = []
    const quarantine: Array<Page["quarantine"][number]> = []
    for (const raw of answer.markets) {
      const decoded = decodeGammaMarket(raw)
      if (Either.isLeft(decoded)) {
        quarantine.push({ source: "gamma", reason: `malformed market: ${decoded.left}`, raw: JSON.stringify(raw) })
        continue
      }
      const rows = toMarketRows(decoded.right, now)
      markets.push({ ...rows.market })
      tokens.push(...rows.tokens.map((t) => ({ ...t })))
    }
    const next = answer.nextCursor === "" || answer.markets.length === 0 ? undefined : answer.nextCursor
    if (next !== undefined && seen.has(next)) {
      return yield* Effect.fail(
        unitFailure(unit, `Gamma sent next_cursor ${JSON.stringify(next.slice(0, 40))} again, so paging would never end; rerun later with --retry-errors`)
      )
    }
    if (next !== undefined) seen.add(next)
    if (next !== undefined && Either.isLeft(decodeMarketsCursor(next))) {
      return yield* Effect.fail(unitFailure(unit, `Gamma sent a next_cursor that cannot be stored: ${JSON.stringify(next.slice(0, 40))}`))
    }
    const page: Page = {
      rows: [
        { table: TABLES.markets, rows: markets },
        { table: TABLES.marketTokens, rows: tokens }
      ],
      quarantine,
      next: next === undefined ? Option.none() : Option.some(encodeMarketsCursor(next))
    }
    return page
  })

export interface MarketsJobOptions {
  /** Markets per keyset page. */
  readonly pageLimit: number
}

/** The market catalogue from Gamma's keyset pagination (open and closed), into markets and market_tokens. */
export const makeMarketsJob = (options: MarketsJobOptions = { pageLimit: GAMMA_PAGE_LIMIT }): Job<GammaSource> => ({
  name: "markets",
  description: "the market catalogue (Gamma /markets/keyset, open and closed) into markets and market_tokens",
  tables: [TABLES.markets, TABLES.marketTokens],
  plan: Effect.succeed(UNITS),
  sources: ["gamma"],
  probe: probeSource("gamma", Effect.flatMap(GammaSource, (gamma) => gamma.marketsKeyset({ closed: true, afterCursor: "", limit: 1 }))),
  fetch: (unit) => {
    const payload = Schema.decodeUnknownEither(Payload)(unit.payload)
    if (Either.isLeft(payload)) return Stream.fail(unitFailure(unit, "unreadable payload: rebuild the plan with `polybackfill plan markets --rebuild`"))
    const start = decodeMarketsCursor(unit.cursor)
    if (Either.isLeft(start)) return Stream.fail(unitFailure(unit, start.left))
    const { closed } = payload.right
    return Stream.suspend(() => {
      const state: PagingState = { seen: new Set([start.right]), limit: options.pageLimit }
      return Stream.paginateEffect(start.right, (after: string) =>
        Effect.map(fetchPage(unit, closed, after, state), (page) => [page, page.next] as const)
      )
    })
  }
})

export const marketsJob = makeMarketsJob()
