import { hashString } from "../domain/prng.js"
import type { Caps } from "./config.js"
import { walletAddress, walletProfileOf } from "./market.js"
import type { SimRequest, SimResponse } from "./response.js"
import { json } from "./response.js"
import type { Trade, TradeRef } from "./trades.js"
import { compareRefs, feedDesc, legOfRef, marketOfCondition, marketRefs, marketsOfEvent, materialize, walletRefs } from "./trades.js"
import { TAKER_SLOT, walletOfAddress } from "./walletIndex.js"
import type { World } from "./world.js"

/**
 * Data-API v1 (`/activity`, `/trades`: bare arrays, offset paging with caps) and v2 (`/v2/activity`,
 * `/v2/trades`: cursor envelope, snake_case, JSON errors), polymarket-sources.md §1.
 */

const ACTIVITY_TYPES = ["TRADE", "SPLIT", "MERGE", "REDEEM", "REWARD", "CONVERSION", "DEPOSIT", "WITHDRAWAL", "YIELD", "MAKER_REBATE", "TAKER_REBATE", "REFERRAL_REWARD"]
const THREE_YEARS = 3 * 365 * 86_400
const ADDRESS = /^0x[0-9a-fA-F]{40}$/
const CONDITION = /^0x[0-9a-fA-F]{64}$/

class BadRequest extends Error {
  constructor(
    message: string,
    readonly parameter?: string
  ) {
    super(message)
  }
}

interface Selection {
  readonly wallet: number | undefined
  /** Market indexes (ghost: -1 - g), or undefined for no market filter. */
  readonly markets: ReadonlyArray<number> | undefined
  readonly takerOnly: boolean
  readonly side: "BUY" | "SELL" | undefined
  readonly minShares: number
  readonly minUsdc: number
  readonly fromTs: number
  readonly toTs: number
  readonly sort: "TIMESTAMP" | "TOKENS" | "CASH"
  readonly ascending: boolean
  /** Only TRADE rows exist in the simulated ledger; other types select nothing. */
  readonly tradesWanted: boolean
}

const isTakerRef = (ref: TradeRef) => ref.ghost >= 0 || ref.slot === TAKER_SLOT

/** Rows [offset, offset + limit) of a selection, plus whether more follow. */
const select = (world: World, sel: Selection, offset: number, limit: number): { rows: Array<Trade>; hasMore: boolean } => {
  if (!sel.tradesWanted || (sel.wallet === undefined && sel.markets?.length === 0)) return { rows: [], hasMore: false }
  const passes = (ref: TradeRef): boolean => {
    if (ref.ts < sel.fromTs || ref.ts > sel.toTs) return false
    if (sel.takerOnly && !isTakerRef(ref)) return false
    if (sel.side === undefined && sel.minShares === 0 && sel.minUsdc === 0) return true
    const leg = legOfRef(world, ref)
    return (sel.side === undefined || leg.side === sel.side) && leg.shares >= sel.minShares && leg.usdc >= sel.minUsdc
  }
  let source: Iterable<TradeRef>
  if (sel.wallet !== undefined) {
    const refs = walletRefs(world, sel.wallet, sel.ascending, sel.fromTs, sel.toTs)
    const set = sel.markets === undefined ? undefined : new Set(sel.markets)
    source =
      set === undefined
        ? refs
        : (function* () {
            for (const r of refs) if (set.has(r.ghost >= 0 ? -1 - r.ghost : world.matchMarket[r.pos]!)) yield r
          })()
  } else if (sel.markets !== undefined) {
    const refs = marketRefs(world, sel.markets, sel.takerOnly)
    source = sel.ascending ? refs : refs.reverse()
  } else {
    source = feedDesc(world, sel.takerOnly, sel.fromTs)
  }
  if (sel.sort !== "TIMESTAMP") {
    const all = [...source].filter(passes)
    const key = (r: TradeRef) => {
      const leg = legOfRef(world, r)
      return sel.sort === "TOKENS" ? leg.shares : leg.usdc
    }
    const keys = new Map(all.map((r) => [r, key(r)]))
    all.sort((a, b) => (sel.ascending ? 1 : -1) * (keys.get(a)! - keys.get(b)! || compareRefs(a, b)))
    return { rows: all.slice(offset, offset + limit).map((r) => materialize(world, r)), hasMore: all.length > offset + limit }
  }
  const rows: Array<Trade> = []
  let seen = 0
  let hasMore = false
  for (const ref of source) {
    if (!passes(ref)) continue
    if (seen++ < offset) continue
    if (rows.length === limit) {
      hasMore = true
      break
    }
    rows.push(materialize(world, ref))
  }
  return { rows, hasMore }
}

const profile = (world: World, w: number) => {
  const address = walletAddress(world, w)
  return { address, ...walletProfileOf(world.seed, w, address) }
}

const v1Trade = (world: World, t: Trade) => {
  const p = profile(world, t.wallet)
  return {
    proxyWallet: p.address,
    side: t.side,
    asset: t.tokenId,
    conditionId: t.conditionId,
    size: t.shares / 1e6,
    price: t.priceCents / 100,
    timestamp: t.timestamp,
    title: t.title,
    slug: t.slug,
    icon: t.icon,
    eventSlug: t.eventSlug,
    outcome: t.outcomeName,
    outcomeIndex: t.outcomeIndexServed,
    name: p.name,
    pseudonym: p.pseudonym,
    bio: p.bio,
    profileImage: p.profileImage,
    profileImageOptimized: p.profileImage,
    transactionHash: t.txHash
  }
}

const v1Activity = (world: World, t: Trade) => {
  const p = profile(world, t.wallet)
  return {
    proxyWallet: p.address,
    timestamp: t.timestamp,
    conditionId: t.conditionId,
    type: "TRADE",
    size: t.shares / 1e6,
    usdcSize: t.usdc / 1e6,
    transactionHash: t.txHash,
    price: t.priceCents / 100,
    asset: t.tokenId,
    side: t.side,
    outcomeIndex: t.outcomeIndexServed,
    title: t.title,
    slug: t.slug,
    icon: t.icon,
    eventSlug: t.eventSlug,
    outcome: t.outcomeName,
    name: p.name,
    pseudonym: p.pseudonym,
    bio: p.bio,
    profileImage: p.profileImage,
    profileImageOptimized: p.profileImage,
    isCombo: false
  }
}

const v2Trade = (world: World, t: Trade) => {
  const p = profile(world, t.wallet)
  return {
    proxy_wallet: p.address,
    side: t.side,
    token_id: t.tokenId,
    condition_id: t.conditionId,
    size: t.shares / 1e6,
    price: t.priceCents / 100,
    timestamp: t.timestamp,
    title: t.title,
    slug: t.slug,
    icon: t.icon,
    event_slug: t.eventSlug,
    outcome: t.outcomeName,
    outcome_index: t.outcomeIndexServed,
    name: p.name,
    pseudonym: p.pseudonym,
    bio: p.bio,
    profile_image: p.profileImage,
    profile_image_optimized: p.profileImage,
    transaction_hash: t.txHash
  }
}

const v2Activity = (world: World, t: Trade) => {
  const p = profile(world, t.wallet)
  return {
    proxy_wallet: p.address,
    timestamp: t.timestamp,
    condition_id: t.conditionId,
    type: "TRADE",
    size: t.shares / 1e6,
    usdc_size: t.usdc / 1e6,
    transaction_hash: t.txHash,
    price: t.priceCents / 100,
    token_id: t.tokenId,
    side: t.side,
    outcome_index: t.outcomeIndexServed,
    title: t.title,
    slug: t.slug,
    icon: t.icon,
    event_slug: t.eventSlug,
    outcome: t.outcomeName,
    name: p.name,
    pseudonym: p.pseudonym,
    bio: p.bio,
    profile_image: p.profileImage,
    profile_image_optimized: p.profileImage,
    is_combo: false
  }
}

// ---- parameters ----

const intOf = (q: URLSearchParams, name: string, dflt: number): number => {
  const v = q.get(name)
  if (v === null || v === "") return dflt
  if (!/^\d+$/.test(v)) throw new BadRequest(`${name} must be a non-negative integer`, name)
  return Number(v)
}

const boolOf = (q: URLSearchParams, name: string, dflt: boolean): boolean => {
  const v = q.get(name)
  if (v === null || v === "") return dflt
  if (v === "true") return true
  if (v === "false") return false
  throw new BadRequest(`${name} must be true or false`, name)
}

const sideOf = (q: URLSearchParams): "BUY" | "SELL" | undefined => {
  const v = q.get("side")
  if (v === null || v === "") return undefined
  if (v === "BUY" || v === "SELL") return v
  throw new BadRequest("side must be BUY or SELL", "side")
}

const userOf = (world: World, q: URLSearchParams, required: boolean): number | undefined | "unknown" => {
  const v = q.get("user")
  if (v === null || v === "") {
    if (required) throw new BadRequest("user is required", "user")
    return undefined
  }
  if (!ADDRESS.test(v)) throw new BadRequest("user must be a 0x-prefixed 40-hex-digit address", "user")
  return walletOfAddress(world, v) ?? "unknown"
}

const conditionsOf = (world: World, raw: string | null, max: number, parameter: string): Array<number> | undefined => {
  if (raw === null || raw === "") return undefined
  const ids = raw.split(",").map((s) => s.trim()).filter((s) => s !== "")
  if (ids.length > max) throw new BadRequest(`at most ${max} condition ids per request`, parameter)
  const out: Array<number> = []
  for (const id of ids) {
    if (!CONDITION.test(id)) throw new BadRequest(`invalid condition id ${id}`, parameter)
    const m = marketOfCondition(world, id)
    if (m !== undefined) out.push(m)
  }
  return out
}

const typesWanted = (q: URLSearchParams): boolean => {
  const v = q.get("type")
  if (v === null || v === "") return true
  const types = v.split(",").map((s) => s.trim().toUpperCase())
  for (const t of types) if (!ACTIVITY_TYPES.includes(t)) throw new BadRequest(`invalid type ${t}: use ${ACTIVITY_TYPES.join(", ")}`, "type")
  return types.includes("TRADE")
}

const worldNow = (world: World) => world.config.toTs

// ---- v1 ----

const v1Error = (message: string): SimResponse => json(400, { error: message })

const activityV1 = (world: World, caps: Caps, q: URLSearchParams): SimResponse => {
  const user = userOf(world, q, true)
  const offset = intOf(q, "offset", 0)
  const silent = caps.activityCapSilent === true
  // Silent: the rows past the cap are cut from the page, as some deployments do instead of a 400.
  const limit = Math.min(intOf(q, "limit", 100), caps.activityLimitMax, silent ? Math.max(0, caps.activityOffsetMax - offset) : Number.MAX_SAFE_INTEGER)
  if (!silent && offset > caps.activityOffsetMax) return v1Error(`offset must be at most ${caps.activityOffsetMax}; page inside start/end windows for deeper history`)
  const sortBy = (q.get("sortBy") ?? "TIMESTAMP").toUpperCase()
  if (sortBy !== "TIMESTAMP" && sortBy !== "TOKENS" && sortBy !== "CASH") return v1Error("sortBy must be TIMESTAMP, TOKENS or CASH")
  const direction = (q.get("sortDirection") ?? "DESC").toUpperCase()
  if (direction !== "ASC" && direction !== "DESC") return v1Error("sortDirection must be ASC or DESC")
  const eventId = q.get("eventId")
  const market = q.get("market")
  if (eventId !== null && eventId !== "" && market !== null && market !== "") return v1Error("market and eventId cannot be combined")
  const markets = eventId !== null && eventId !== "" ? marketsOfEvent(world, eventId) : conditionsOf(world, market, 1000, "market")
  if (user === "unknown") return json(200, [])
  const { rows } = select(
    world,
    {
      wallet: user,
      markets,
      takerOnly: false,
      side: sideOf(q),
      minShares: 0,
      minUsdc: 0,
      fromTs: intOf(q, "start", worldNow(world) - THREE_YEARS),
      toTs: intOf(q, "end", Number.MAX_SAFE_INTEGER),
      sort: sortBy,
      ascending: direction === "ASC",
      tradesWanted: typesWanted(q)
    },
    offset,
    limit
  )
  return json(200, rows.map((t) => v1Activity(world, t)))
}

const amountFilter = (type: string, amount: number): { minShares: number; minUsdc: number } =>
  type === "CASH" ? { minShares: 0, minUsdc: Math.ceil(amount * 1e6) } : { minShares: Math.ceil(amount * 1e6), minUsdc: 0 }

const tradesV1 = (world: World, caps: Caps, q: URLSearchParams): SimResponse => {
  const limit = Math.min(intOf(q, "limit", 100), caps.tradesLimitMax)
  const offset = intOf(q, "offset", 0)
  if (offset > caps.tradesOffsetMax) return v1Error(`offset must be at most ${caps.tradesOffsetMax}`)
  const filterType = q.get("filterType")
  const filterAmount = q.get("filterAmount")
  if ((filterType === null) !== (filterAmount === null)) return v1Error("filterType and filterAmount must be sent together")
  if (filterType !== null && filterType !== "CASH" && filterType !== "TOKENS") return v1Error("filterType must be CASH or TOKENS")
  const amount = filterAmount === null ? 0 : Number(filterAmount)
  if (!Number.isFinite(amount) || amount < 0) return v1Error("filterAmount must be a non-negative number")
  const eventId = q.get("eventId")
  const market = q.get("market")
  if (eventId !== null && eventId !== "" && market !== null && market !== "") return v1Error("market and eventId cannot be combined")
  const markets = eventId !== null && eventId !== "" ? marketsOfEvent(world, eventId) : conditionsOf(world, market, 1000, "market")
  const user = userOf(world, q, false)
  if (user === "unknown") return json(200, [])
  const { rows } = select(
    world,
    {
      wallet: user,
      markets,
      takerOnly: boolOf(q, "takerOnly", true),
      side: sideOf(q),
      ...amountFilter(filterType ?? "TOKENS", amount),
      fromTs: 0,
      toTs: Number.MAX_SAFE_INTEGER,
      sort: "TIMESTAMP",
      ascending: false,
      tradesWanted: true
    },
    offset,
    limit
  )
  return json(200, rows.map((t) => v1Trade(world, t)))
}

// ---- v2 ----

const v2Error = (status: number, code: string, message: string, traceId: string, parameter?: string): SimResponse =>
  json(status, { error: message, code, retryable: false, trace_id: traceId, ...(parameter !== undefined ? { parameter } : {}) })

const encodeCursor = (offset: number, fingerprint: number): string => Buffer.from(JSON.stringify({ o: offset, f: fingerprint })).toString("base64url")
const decodeCursor = (cursor: string): { o: number; f: number } | undefined => {
  try {
    const v = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as { o?: unknown; f?: unknown }
    return typeof v.o === "number" && typeof v.f === "number" ? { o: v.o, f: v.f } : undefined
  } catch {
    return undefined
  }
}

/** Filters that must be re-sent unchanged with every cursor. */
const fingerprintOf = (q: URLSearchParams): number => {
  const parts: Array<string> = []
  for (const [k, v] of [...q.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) if (k !== "cursor" && k !== "limit") parts.push(`${k}=${v}`)
  return hashString(parts.join("&"))
}

const envelope = (rows: Array<unknown>, limit: number, offset: number, hasMore: boolean, fingerprint: number): SimResponse =>
  json(200, {
    data: rows,
    pagination: { limit, offset, has_more: hasMore, next_cursor: hasMore ? encodeCursor(offset + rows.length, fingerprint) : null }
  })

const startOfPreviousMonth = (ts: number): number => {
  const d = new Date(ts * 1000)
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1) / 1000
}

const v2Paging = (q: URLSearchParams, maxLimit: number): { limit: number; offset: number; fingerprint: number } => {
  if (q.has("offset")) throw new BadRequest("offset is not supported: page with cursor=<next_cursor>", "offset")
  const limit = intOf(q, "limit", 100)
  if (limit < 1 || limit > maxLimit) throw new BadRequest(`limit must be between 1 and ${maxLimit}`, "limit")
  const fingerprint = fingerprintOf(q)
  const cursor = q.get("cursor")
  if (cursor === null || cursor === "") return { limit, offset: 0, fingerprint }
  const c = decodeCursor(cursor)
  if (c === undefined) throw new BadRequest("invalid cursor", "cursor")
  if (c.f !== fingerprint) throw new BadRequest("cursor does not match the filters: re-send the same filters with every page", "cursor")
  return { limit, offset: c.o, fingerprint }
}

const tradesV2 = (world: World, caps: Caps, q: URLSearchParams): SimResponse => {
  const { limit, offset, fingerprint } = v2Paging(q, caps.v2LimitMax)
  const condRaw = q.get("condition") ?? q.get("condition_id") ?? q.get("conditionId")
  const eventId = q.get("event_id")
  if (condRaw !== null && condRaw !== "" && eventId !== null && eventId !== "") throw new BadRequest("condition and event_id cannot be combined", "event_id")
  const markets = eventId !== null && eventId !== "" ? marketsOfEvent(world, eventId) : conditionsOf(world, condRaw, 20, "condition")
  const user = userOf(world, q, false)
  const filterType = (q.get("filter_type") ?? "TOKENS").toUpperCase()
  if (filterType !== "TOKENS" && filterType !== "CASH") throw new BadRequest("filter_type must be TOKENS or CASH", "filter_type")
  const rawAmount = q.get("filter_amount")
  const amount = rawAmount === null || rawAmount === "" ? 0.01 : Number(rawAmount)
  if (!Number.isFinite(amount) || amount < 0) throw new BadRequest("filter_amount must be a non-negative number", "filter_amount")
  const now = worldNow(world)
  // start/end apply only with user; condition/event queries cover 3 years; the bare feed two months.
  const fromTs = user !== undefined ? intOf(q, "start", 0) : markets !== undefined ? now - THREE_YEARS : startOfPreviousMonth(now)
  const toTs = user !== undefined ? intOf(q, "end", Number.MAX_SAFE_INTEGER) : Number.MAX_SAFE_INTEGER
  if (user === "unknown") return envelope([], limit, offset, false, fingerprint)
  const { rows, hasMore } = select(
    world,
    {
      wallet: user,
      markets,
      takerOnly: boolOf(q, "taker_only", true),
      side: sideOf(q),
      ...amountFilter(filterType, amount === 0 ? 0.01 : amount),
      fromTs,
      toTs,
      sort: "TIMESTAMP",
      ascending: false,
      tradesWanted: true
    },
    offset,
    limit
  )
  return envelope(rows.map((t) => v2Trade(world, t)), limit, offset, hasMore, fingerprint)
}

const activityV2 = (world: World, caps: Caps, q: URLSearchParams): SimResponse => {
  const { limit, offset, fingerprint } = v2Paging(q, caps.activityLimitMax)
  const user = userOf(world, q, true)
  const markets = conditionsOf(world, q.get("condition") ?? q.get("condition_id") ?? q.get("conditionId"), 20, "condition")
  const direction = (q.get("sort_direction") ?? "DESC").toUpperCase()
  if (direction !== "ASC" && direction !== "DESC") throw new BadRequest("sort_direction must be ASC or DESC", "sort_direction")
  if (user === "unknown") return envelope([], limit, offset, false, fingerprint)
  const { rows, hasMore } = select(
    world,
    {
      wallet: user,
      markets,
      takerOnly: false,
      side: sideOf(q),
      minShares: 0,
      minUsdc: 0,
      fromTs: intOf(q, "start", worldNow(world) - THREE_YEARS),
      toTs: intOf(q, "end", Number.MAX_SAFE_INTEGER),
      sort: "TIMESTAMP",
      ascending: direction === "ASC",
      tradesWanted: typesWanted(q)
    },
    offset,
    limit
  )
  return envelope(rows.map((t) => v2Activity(world, t)), limit, offset, hasMore, fingerprint)
}

/** A malformed page: one row loses a required field or gets a value of the wrong type. */
const corruptPage = (res: SimResponse, draw: number): SimResponse => {
  if (res.status !== 200) return res
  const body = JSON.parse(res.body) as unknown
  const rows = Array.isArray(body) ? body : (body as { data?: Array<Record<string, unknown>> }).data
  if (rows === undefined || rows.length === 0) return res
  const row = rows[Math.floor(draw * rows.length)] as Record<string, unknown>
  const keys = ["transactionHash", "transaction_hash", "price", "size", "timestamp"].filter((k) => k in row)
  const key = keys[Math.floor(((draw * 7919) % 1) * keys.length)]!
  if (key.startsWith("transaction")) delete row[key]
  else row[key] = "NaN"
  return { ...res, body: JSON.stringify(body) }
}

export const handleDataApi = (world: World, caps: Caps, req: SimRequest): SimResponse => {
  const res = route(world, caps, req)
  return req.malformed ? corruptPage(res, req.draw) : res
}

const route = (world: World, caps: Caps, req: SimRequest): SimResponse => {
  const v2 = req.path.startsWith("/v2/")
  try {
    if (req.method !== "GET") throw new BadRequest("method not allowed")
    switch (req.path) {
      case "/activity":
        return activityV1(world, caps, req.query)
      case "/trades":
        return tradesV1(world, caps, req.query)
      case "/v2/trades":
        return tradesV2(world, caps, req.query)
      case "/v2/activity":
        return activityV2(world, caps, req.query)
      default:
        return v2 ? v2Error(404, "not_found", `no route ${req.path}`, req.traceId) : json(404, { error: `no route ${req.path}` })
    }
  } catch (e) {
    if (e instanceof BadRequest) return v2 ? v2Error(400, "invalid_request", e.message, req.traceId, e.parameter) : v1Error(e.message)
    throw e
  }
}
