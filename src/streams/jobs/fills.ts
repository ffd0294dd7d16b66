import { Clock, Effect, Either, Option, ParseResult, Schema, Stream } from "effect"
import { SourceError } from "../../domain/errors.js"
import type { TokenMap } from "../../domain/fills.js"
import { deriveFillV1 } from "../../domain/fills.js"
import type { FillCursor } from "../../domain/goldsky.js"
import { FillCursorSchema, nextFillCursor, OrderFilledEvent, OrderFilledPage, orderFilledQuery } from "../../domain/goldsky.js"
import { TABLES } from "../../domain/tables.js"
import { requestJson } from "../../layers/http/request.js"
import { ClickHouse } from "../../services/ClickHouse.js"
import { Sources } from "../../services/Sources.js"
import type { Job, Page, UnitToFetch } from "../Job.js"
import type { HttpJobEnv } from "./env.js"

/** A fills unit's payload: the market and its token ids in outcome order. */
const FillsPayload = Schema.parseJson(
  Schema.Struct({ conditionId: Schema.String, tokenIds: Schema.Array(Schema.String.pipe(Schema.pattern(/^\d{1,78}$/))) })
)
const CursorJson = Schema.parseJson(FillCursorSchema)

const TokenRow = Schema.Struct({ token_id: Schema.String, condition_id: Schema.String, outcome_index: Schema.Number })

/** One unit per market in market_tokens (read with FINAL), tokens in outcome order. */
const planFills = Effect.gen(function* () {
  const ch = yield* ClickHouse
  const rows = yield* ch.query(
    "SELECT token_id, condition_id, outcome_index FROM market_tokens FINAL ORDER BY condition_id, outcome_index",
    TokenRow
  )
  const byMarket = new Map<string, Array<string>>()
  for (const r of rows) {
    const list = byMarket.get(r.condition_id) ?? []
    list.push(r.token_id)
    byMarket.set(r.condition_id, list)
  }
  return [...byMarket].map(([conditionId, tokenIds]) => ({ unitKey: conditionId, payload: JSON.stringify({ conditionId, tokenIds }) }))
})

const oneLine = (e: ParseResult.ParseError) => ParseResult.TreeFormatter.formatErrorSync(e).replace(/\s+/g, " ").slice(0, 300)

const fetchPage = (tokens: TokenMap, tokenIds: ReadonlyArray<string>, cursor: FillCursor) =>
  Effect.gen(function* () {
    const { goldsky } = yield* Sources
    const host = new URL(goldsky).host
    const json = yield* requestJson({ url: goldsky, body: { query: orderFilledQuery(tokenIds, cursor) } })
    const page = yield* Effect.mapError(
      Schema.decodeUnknown(OrderFilledPage)(json),
      () => new SourceError({ reason: "Decode", host, message: "Goldsky answer is not a GraphQL response" })
    )
    if (page.errors !== undefined && page.errors.length > 0) {
      return yield* Effect.fail(new SourceError({ reason: "Fatal", host, message: `Goldsky GraphQL error: ${page.errors[0]!.message}` }))
    }
    const events = page.data?.orderFilledEvents ?? []
    const now = Math.floor((yield* Clock.currentTimeMillis) / 1000)
    const fills: Array<Record<string, unknown>> = []
    const quarantine: Array<Page["quarantine"][number]> = []
    let last: { id: string; timestamp: string } | undefined
    for (const raw of events) {
      const decoded = Schema.decodeUnknownEither(OrderFilledEvent)(raw)
      const id = typeof raw === "object" && raw !== null && "id" in raw ? String(raw.id) : ""
      const ts = typeof raw === "object" && raw !== null && "timestamp" in raw ? String(raw.timestamp) : ""
      if (id !== "" && /^\d+$/.test(ts)) last = { id, timestamp: ts }
      if (Either.isLeft(decoded)) {
        quarantine.push({ source: "goldsky", reason: `malformed OrderFilledEvent: ${oneLine(decoded.left)}`, raw: JSON.stringify(raw) })
        continue
      }
      const e = decoded.right
      fills.push({
        ...deriveFillV1({ ...e, txHash: e.transactionHash, timestamp: Number(e.timestamp) }, tokens, "goldsky", now)
      })
    }
    // The cursor follows every row received, bad ones included, so a bad row is quarantined once, not refetched forever.
    const next = nextFillCursor(cursor, events.length, last)
    const result: Page = {
      rows: [{ table: TABLES.clobFills, rows: fills }],
      quarantine,
      next: next === undefined ? Option.none() : Option.some(JSON.stringify(next))
    }
    return result
  })

const badUnit = (message: string) => Stream.fail(new SourceError({ reason: "Fatal", host: "local", message }))

/** Order fills of one market from the Goldsky orderbook subgraph, by the sticky (timestamp, id) cursor. */
export const fillsJob: Job<HttpJobEnv | ClickHouse> = {
  name: "fills",
  description: "CLOB order fills per market from the Goldsky orderbook subgraph into clob_fills (needs markets first)",
  tables: [TABLES.clobFills],
  plan: planFills,
  fetch: (unit: UnitToFetch) => {
    const payload = Schema.decodeUnknownEither(FillsPayload)(unit.payload)
    if (Either.isLeft(payload)) return badUnit(`unit ${unit.unitKey} has an unreadable payload: run \`polybackfill plan fills --rebuild\``)
    const start = unit.cursor === "" ? Either.right<FillCursor>({ ts: "0" }) : Schema.decodeUnknownEither(CursorJson)(unit.cursor)
    if (Either.isLeft(start)) return badUnit(`unit ${unit.unitKey} has an unreadable cursor ${JSON.stringify(unit.cursor)}`)
    const { conditionId, tokenIds } = payload.right
    const tokens: TokenMap = new Map(tokenIds.map((t, outcomeIndex) => [t, { conditionId, outcomeIndex }]))
    return Stream.paginateEffect(start.right as FillCursor, (cursor: FillCursor) =>
      Effect.map(fetchPage(tokens, tokenIds, cursor), (page) => [page, Option.map(page.next, (n) => JSON.parse(n) as FillCursor)] as const)
    )
  }
}
