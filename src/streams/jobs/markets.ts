import { Clock, Effect, Either, Option, Schema, Stream } from "effect"
import { SourceError } from "../../domain/errors.js"
import { decodeGammaMarket, GammaKeysetPage, toMarketRows } from "../../domain/gamma.js"
import { TABLES } from "../../domain/tables.js"
import { redactUrl } from "../../domain/redact.js"
import { requestJson } from "../../layers/http/request.js"
import { Sources } from "../../services/Sources.js"
import type { Job, Page, UnitToFetch } from "../Job.js"
import type { HttpJobEnv } from "./env.js"

export const GAMMA_PAGE_LIMIT = 500

/** `closed` is always sent: Gamma applies closed=false when it is absent, silently dropping resolved markets. */
const UNITS = [
  { unitKey: "closed", payload: JSON.stringify({ closed: true }) },
  { unitKey: "open", payload: JSON.stringify({ closed: false }) }
] as const

const keysetUrl = (base: string, closed: boolean, after: string): string => {
  const url = new URL(`${base.replace(/\/$/, "")}/markets/keyset`)
  url.searchParams.set("closed", String(closed))
  url.searchParams.set("limit", String(GAMMA_PAGE_LIMIT))
  if (after !== "") url.searchParams.set("after_cursor", after)
  return url.toString()
}

const decodePage = (json: unknown, host: string) =>
  Effect.mapError(
    Schema.decodeUnknown(GammaKeysetPage)(json),
    () => new SourceError({ reason: "Decode", host, message: `Gamma /markets/keyset page is not {markets, next_cursor}` })
  )

const fetchPage = (unit: UnitToFetch, after: string) =>
  Effect.gen(function* () {
    const { gamma } = yield* Sources
    const closed = (JSON.parse(unit.payload) as { closed: boolean }).closed
    const url = keysetUrl(gamma, closed, after)
    const page = yield* decodePage(yield* requestJson({ url }), new URL(url).host)
    const now = Math.floor((yield* Clock.currentTimeMillis) / 1000)
    const markets: Array<Record<string, unknown>> = []
    const tokens: Array<Record<string, unknown>> = []
    const quarantine: Array<Page["quarantine"][number]> = []
    for (const raw of page.markets) {
      const decoded = decodeGammaMarket(raw)
      if (Either.isLeft(decoded)) {
        quarantine.push({ source: "gamma", reason: `malformed market: ${decoded.left}`, raw: JSON.stringify(raw) })
        continue
      }
      const rows = toMarketRows(decoded.right, now)
      markets.push({ ...rows.market })
      tokens.push(...rows.tokens.map((t) => ({ ...t })))
    }
    const next = page.next_cursor ?? undefined
    if (next !== undefined && next === after) {
      return yield* Effect.fail(
        new SourceError({ reason: "Fatal", host: new URL(url).host, message: `Gamma returned the same next_cursor again at ${redactUrl(url)}: the cursor does not advance` })
      )
    }
    const result: Page = {
      rows: [
        { table: TABLES.markets, rows: markets },
        { table: TABLES.marketTokens, rows: tokens }
      ],
      quarantine,
      next: next === undefined || next === "" || page.markets.length === 0 ? Option.none() : Option.some(next)
    }
    return result
  })

/** The market catalogue from Gamma's keyset pagination, into markets and market_tokens. */
export const marketsJob: Job<HttpJobEnv> = {
  name: "markets",
  description: "the market catalogue (Gamma /markets/keyset, open and closed) into markets and market_tokens",
  tables: [TABLES.markets, TABLES.marketTokens],
  plan: Effect.succeed(UNITS),
  fetch: (unit) =>
    Stream.paginateEffect(unit.cursor, (after: string) =>
      Effect.map(fetchPage(unit, after), (page) => [page, page.next] as const)
    )
}
