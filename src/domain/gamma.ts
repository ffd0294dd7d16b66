import { Either, Schema } from "effect"
import { decodeReason } from "./decodeReason.js"
import type { MarketRow, MarketTokenRow } from "./tables.js"

/** A field Gamma sends as a JSON-encoded string array, e.g. clobTokenIds: "[\"123\", \"456\"]". */
const JsonStringArray = <A, I>(item: Schema.Schema<A, I>) => Schema.parseJson(Schema.Array(item))

const OptionalBool = Schema.optional(Schema.Boolean)

/** One Gamma market object (polymarket-sources.md §2). Optional keys are optional: some are absent. */
export const GammaMarket = Schema.Struct({
  id: Schema.String,
  question: Schema.String,
  conditionId: Schema.String.pipe(Schema.pattern(/^0x[0-9a-fA-F]{64}$/)),
  questionID: Schema.optional(Schema.String),
  slug: Schema.String,
  clobTokenIds: JsonStringArray(Schema.String.pipe(Schema.pattern(/^\d{1,78}$/))),
  outcomes: JsonStringArray(Schema.String),
  outcomePrices: Schema.optional(JsonStringArray(Schema.String)),
  volume: Schema.optional(Schema.String),
  liquidity: Schema.optional(Schema.String),
  startDate: Schema.optional(Schema.String),
  endDate: Schema.optional(Schema.String),
  closedTime: Schema.optional(Schema.String),
  umaResolutionStatus: Schema.optional(Schema.String),
  active: OptionalBool,
  closed: OptionalBool,
  negRisk: OptionalBool,
  events: Schema.optional(Schema.Array(Schema.Struct({ slug: Schema.optional(Schema.String) })))
}).pipe(
  Schema.filter((m) => m.clobTokenIds.length === m.outcomes.length || "clobTokenIds and outcomes differ in length")
)
export type GammaMarket = typeof GammaMarket.Type

/** The keyset page envelope; markets stay unknown so one bad object does not lose the page. */
export const GammaKeysetPage = Schema.Struct({
  markets: Schema.Array(Schema.Unknown),
  next_cursor: Schema.optional(Schema.NullOr(Schema.String))
})

/** ISO dates and Gamma's closedTime ("2026-07-07 21:25:17+00") to epoch seconds; 0 when absent or unreadable. */
export const parseGammaTime = (value: string | undefined): number => {
  if (value === undefined || value === "") return 0
  const normalised = value.replace(" ", "T").replace(/([+-]\d{2})$/, "$1:00")
  const ms = Date.parse(normalised)
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000)
}

const num = (value: string | undefined): number => {
  const n = value === undefined ? 0 : Number(value)
  return Number.isFinite(n) ? n : 0
}

const flag = (b: boolean | undefined): number => (b === true ? 1 : 0)

/** Resolution from umaResolutionStatus + outcomePrices: the outcome priced "1" wins; all "0.5" is a void. */
export const resolutionOf = (m: GammaMarket) => {
  const prices = (m.outcomePrices ?? []).map(Number)
  const resolved = m.umaResolutionStatus === "resolved"
  const winners = prices.flatMap((p, i) => (p === 1 ? [i] : []))
  const isVoid = resolved && prices.length > 0 && prices.every((p) => p === 0.5)
  return { prices, resolved, winner: resolved && winners.length === 1 ? winners[0]! : -1, isVoid }
}

export const toMarketRows = (m: GammaMarket, now: number): { market: MarketRow; tokens: Array<MarketTokenRow> } => {
  const r = resolutionOf(m)
  const conditionId = m.conditionId.toLowerCase()
  return {
    market: {
      condition_id: conditionId,
      market_id: m.id,
      question_id: (m.questionID ?? "").toLowerCase(),
      question: m.question,
      slug: m.slug,
      event_slug: m.events?.[0]?.slug ?? "",
      outcomes: m.outcomes,
      token_ids: m.clobTokenIds,
      neg_risk: flag(m.negRisk),
      active: flag(m.active),
      closed: flag(m.closed),
      volume: num(m.volume),
      liquidity: num(m.liquidity),
      start_date: parseGammaTime(m.startDate),
      end_date: parseGammaTime(m.endDate),
      closed_time: parseGammaTime(m.closedTime),
      resolution_status: m.umaResolutionStatus ?? "",
      outcome_prices: r.prices,
      resolved: r.resolved ? 1 : 0,
      winning_outcome_index: r.winner,
      is_void: r.isVoid ? 1 : 0,
      updated_at: now
    },
    tokens: m.clobTokenIds.map((token_id, outcome_index) => ({
      token_id,
      condition_id: conditionId,
      outcome_index,
      outcome: m.outcomes[outcome_index]!,
      winner: r.winner === outcome_index ? 1 : 0,
      updated_at: now
    }))
  }
}

const decodeMarket = Schema.decodeUnknownEither(GammaMarket)

/** Decodes one market object; Left carries a one-line reason for quarantine. */
export const decodeGammaMarket = (raw: unknown): Either.Either<GammaMarket, string> =>
  Either.mapLeft(decodeMarket(raw), (e) => decodeReason(e))
