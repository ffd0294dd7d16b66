import { marketVolumeRaw } from "./ledger.js"
import type { MarketInfo } from "./market.js"
import { marketInfo } from "./market.js"
import type { Caps } from "./config.js"
import type { SimRequest, SimResponse } from "./response.js"
import { boolParam, intParam, json } from "./response.js"
import type { World } from "./world.js"

/**
 * Gamma API: `/markets/keyset` (after_cursor / next_cursor, absent at the end) and the legacy offset
 * `/markets` (bare array, closed=false when `closed` is absent, 422 past the offset cap). Market
 * objects carry JSON-encoded string fields, a string `id`, numbers as strings, and sometimes lack
 * optional keys (polymarket-sources.md §2).
 */

const isoSeconds = (ts: number): string => new Date(ts * 1000).toISOString().replace(/\.\d{3}Z$/, "Z")
const isoMillis = (ts: number): string => new Date(ts * 1000).toISOString()
/** Gamma's closedTime format: "2026-07-07 21:25:17+00". */
export const closedTimeFormat = (ts: number): string => `${isoSeconds(ts).replace("T", " ").replace("Z", "")}+00`

export const gammaMarketObject = (world: World, info: MarketInfo): Record<string, unknown> => {
  const volume = marketVolumeRaw(world, info.index) / 1e6
  const [p0] = info.outcomePrices
  const o: Record<string, unknown> = {
    id: info.id,
    question: info.question,
    conditionId: info.conditionId,
    slug: info.slug,
    resolutionSource: "",
    endDate: isoSeconds(info.endTs),
    ...(info.hasLiquidityKey ? { liquidity: String(info.liquidity) } : {}),
    ...(info.hasStartDateKey ? { startDate: isoSeconds(info.createdTs) } : {}),
    image: info.icon,
    icon: info.icon,
    description: info.description,
    outcomes: JSON.stringify(info.outcomes),
    outcomePrices: JSON.stringify(info.outcomePrices),
    ...(info.hasVolumeKey ? { volume: String(volume) } : {}),
    active: true,
    closed: info.closed,
    marketMakerAddress: "",
    createdAt: isoMillis(info.createdTs - 3600),
    updatedAt: isoMillis(info.closed ? info.closedTs : info.createdTs),
    ...(info.closed ? { closedTime: closedTimeFormat(info.closedTs) } : {}),
    new: false,
    featured: false,
    archived: false,
    restricted: true,
    questionID: info.questionId,
    ...(info.umaResolutionStatus !== undefined ? { umaResolutionStatus: info.umaResolutionStatus } : {}),
    enableOrderBook: true,
    orderPriceMinTickSize: 0.01,
    orderMinSize: 5,
    ...(info.hasVolumeKey ? { volumeNum: volume } : {}),
    ...(info.hasLiquidityKey ? { liquidityNum: info.liquidity } : {}),
    endDateIso: isoSeconds(info.endTs).slice(0, 10),
    ...(info.hasStartDateKey ? { startDateIso: isoSeconds(info.createdTs).slice(0, 10) } : {}),
    clobTokenIds: JSON.stringify(info.tokenIds),
    negRisk: info.negRisk,
    ...(info.negRiskMarketId !== undefined ? { negRiskMarketID: info.negRiskMarketId } : {}),
    events: [{ id: info.eventId, ticker: info.eventSlug, slug: info.eventSlug, title: info.eventTitle, negRisk: info.negRisk }],
    acceptingOrders: !info.closed,
    lastTradePrice: Number(p0),
    bestBid: info.closed ? 0 : Math.max(0, Number(p0) - 0.01),
    bestAsk: info.closed ? 1 : Math.min(1, Number(p0) + 0.01),
    spread: info.closed ? 1 : 0.02,
    makerBaseFee: 0,
    takerBaseFee: 0,
    feesEnabled: false
  }
  return o
}

/** A row that violates the schema, as a malformed page carries one. */
const corrupt = (o: Record<string, unknown>, draw: number): Record<string, unknown> => {
  const copy = { ...o }
  if (draw < 0.4) delete copy.conditionId
  else if (draw < 0.7) copy.clobTokenIds = "[\"12345\""
  else copy.outcomes = 42
  return copy
}

const pageObjects = (world: World, indexes: ReadonlyArray<number>, req: SimRequest): Array<Record<string, unknown>> => {
  const objects = indexes.map((i) => gammaMarketObject(world, marketInfo(world, i)))
  if (req.malformed && objects.length > 0) {
    const k = Math.floor(req.draw * objects.length)
    objects[k] = corrupt(objects[k]!, (req.draw * 7919) % 1)
  }
  return objects
}

const validation = (error: string): SimResponse => json(422, { type: "validation error", error })

const encodeCursor = (index: number): string => Buffer.from(`m:${index}`).toString("base64url")
const decodeCursor = (cursor: string): number | undefined => {
  const m = /^m:(\d+)$/.exec(Buffer.from(cursor, "base64url").toString("utf8"))
  return m === null ? undefined : Number(m[1])
}

const matchesClosed = (world: World, i: number, closed: boolean | undefined): boolean =>
  closed === undefined || world.closed(i) === closed

export const handleMarketsKeyset = (world: World, caps: Caps, req: SimRequest): SimResponse => {
  if (req.query.has("offset")) return validation("offset is not supported on /markets/keyset, use after_cursor")
  const limit = intParam(req.query, "limit") ?? 20
  if (Number.isNaN(limit)) return validation("limit must be a non-negative integer")
  const closedRaw = req.query.get("closed")
  const closed = boolParam(req.query, "closed")
  if (closedRaw !== null && closedRaw !== "" && closed === undefined) return validation("closed must be true or false")
  let from = 0
  const after = req.query.get("after_cursor")
  if (after !== null && after !== "") {
    const last = decodeCursor(after)
    if (last === undefined) return validation("invalid after_cursor")
    from = last + 1
  }
  // `cursor=` is not a parameter of this endpoint: ignored, so page 1 comes back (the documented trap).
  const take = Math.min(Math.max(limit, 1), caps.gammaKeysetLimitMax)
  const picked: Array<number> = []
  let i = from
  for (; i < world.marketCount && picked.length < take; i++) if (matchesClosed(world, i, closed)) picked.push(i)
  let more = false
  for (; i < world.marketCount; i++) {
    if (matchesClosed(world, i, closed)) {
      more = true
      break
    }
  }
  const body: Record<string, unknown> = { markets: pageObjects(world, picked, req) }
  if (more && picked.length > 0) body.next_cursor = encodeCursor(picked[picked.length - 1]!)
  return json(200, body)
}

const LEGACY_ORDERS = ["id", "createdAt", "startDate", "endDate"] as const

const legacyOrderCache = new WeakMap<World, Map<string, Uint32Array>>()

const sortedIndexes = (world: World, order: string): Uint32Array => {
  let byOrder = legacyOrderCache.get(world)
  if (byOrder === undefined) {
    byOrder = new Map()
    legacyOrderCache.set(world, byOrder)
  }
  const hit = byOrder.get(order)
  if (hit !== undefined) return hit
  const idx = Uint32Array.from({ length: world.marketCount }, (_, i) => i)
  if (order === "endDate") idx.sort((a, b) => world.endTs[a]! - world.endTs[b]! || a - b)
  byOrder.set(order, idx)
  return idx
}

export const LEGACY_LIMIT_MAX = 500

export const handleMarketsLegacy = (world: World, caps: Caps, req: SimRequest): SimResponse => {
  const limit = intParam(req.query, "limit") ?? 20
  const offset = intParam(req.query, "offset") ?? 0
  if (Number.isNaN(limit) || Number.isNaN(offset)) return validation("limit and offset must be non-negative integers")
  if (offset > caps.gammaOffsetMax) return validation("offset too large, use /markets/keyset for deeper pagination")
  // Without `closed`, the API applies closed=false (and silently drops resolved markets).
  const closed = boolParam(req.query, "closed") ?? false
  const order = req.query.get("order") ?? "id"
  if (!(LEGACY_ORDERS as ReadonlyArray<string>).includes(order)) return validation(`order must be one of ${LEGACY_ORDERS.join(", ")}`)
  const ascending = boolParam(req.query, "ascending") ?? true
  const idx = sortedIndexes(world, order)
  const take = Math.min(limit, LEGACY_LIMIT_MAX)
  const picked: Array<number> = []
  let seen = 0
  for (let k = 0; k < idx.length && picked.length < take; k++) {
    const i = idx[ascending ? k : idx.length - 1 - k]!
    if (world.closed(i) !== closed) continue
    if (seen++ < offset) continue
    picked.push(i)
  }
  return json(200, pageObjects(world, picked, req))
}

/** Routes of the Gamma family. */
export const handleGamma = (world: World, caps: Caps, req: SimRequest): SimResponse => {
  if (req.method !== "GET") return json(405, { type: "error", error: "method not allowed" })
  if (req.path === "/markets/keyset") return handleMarketsKeyset(world, caps, req)
  if (req.path === "/markets") return handleMarketsLegacy(world, caps, req)
  return json(404, { type: "not found", error: `no route ${req.path}` })
}
