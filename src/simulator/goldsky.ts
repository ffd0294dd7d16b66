import type { ArgumentNode, FieldNode, OperationDefinitionNode, SelectionSetNode } from "graphql"
import { GraphQLError, Kind, parse, valueFromASTUntyped } from "graphql"
import { V2_GENESIS_BLOCK } from "../domain/polygon.js"
import { blockAtTimestamp, timestampOfBlock } from "./blockClock.js"
import type { Caps } from "./config.js"
import { buildMatchLogs, matchShape, txHashOf } from "./ledger.js"
import { KeyIndex, tokenIdOf } from "./market.js"
import type { SimRequest, SimResponse } from "./response.js"
import { json } from "./response.js"
import type { World } from "./world.js"

/**
 * The Goldsky orderbook subgraph, the subset clients need: `orderFilledEvents(first, skip, orderBy,
 * orderDirection, where)` with graph-node's filter operators (`_gt`, `_gte`, `_lt`, `_lte`, `_in`,
 * `_not`, `_not_in`, `and`, `or`), `_meta`, and errors the GraphQL way. V1-era fills only: the public
 * subgraph stopped at the V2 switch (2026-04-28). Queries are parsed with the `graphql` package.
 */

export interface SubgraphFill {
  readonly id: string
  readonly transactionHash: string
  readonly timestamp: number
  readonly orderHash: string
  readonly maker: string
  readonly taker: string
  readonly makerAssetId: string
  readonly takerAssetId: string
  readonly makerAmountFilled: number
  readonly takerAmountFilled: number
  readonly fee: number
  readonly block: number
}

const FIELDS = [
  "id",
  "transactionHash",
  "timestamp",
  "orderHash",
  "maker",
  "taker",
  "makerAssetId",
  "takerAssetId",
  "makerAmountFilled",
  "takerAmountFilled",
  "fee"
] as const
type Field = (typeof FIELDS)[number]
const NUMERIC: ReadonlySet<string> = new Set(["timestamp", "makerAmountFilled", "takerAmountFilled", "fee"])
const BYTES: ReadonlySet<string> = new Set(["transactionHash", "orderHash"])
const OPS = ["", "_not", "_gt", "_gte", "_lt", "_lte", "_in", "_not_in"] as const

class QueryError extends Error {}

/** The subgraph rows of the match at position `pos` (its OrderFilled events, maker legs then taker leg). */
export const subgraphFillsAt = (world: World, pos: number): Array<SubgraphFill> => {
  const market = world.matchMarket[pos]!
  const shape = matchShape(world, market, world.rankOf(pos), pos)
  const txHash = txHashOf(world.seed, market, shape.j)
  const timestamp = timestampOfBlock(shape.block)
  const out: Array<SubgraphFill> = []
  for (const log of buildMatchLogs(world, shape).logs) {
    if (log.t !== "fill") continue
    out.push({
      id: `${txHash}_${log.leg.orderHash}`,
      transactionHash: txHash,
      timestamp,
      orderHash: log.leg.orderHash,
      maker: log.maker,
      taker: log.taker,
      makerAssetId: log.makerAssetId,
      takerAssetId: log.takerAssetId,
      makerAmountFilled: log.makerAmount,
      takerAmountFilled: log.takerAmount,
      fee: log.leg.fee,
      block: shape.block
    })
  }
  return out
}

type Predicate = (e: SubgraphFill) => boolean

const compare = (field: Field, a: SubgraphFill, raw: unknown): number => {
  if (NUMERIC.has(field)) {
    const b = Number(raw)
    if (!Number.isFinite(b)) throw new QueryError(`Invalid value for ${field}: ${JSON.stringify(raw)}`)
    return (a[field] as number) - b
  }
  const b = BYTES.has(field) ? String(raw).toLowerCase() : String(raw)
  const v = a[field] as string
  return v < b ? -1 : v > b ? 1 : 0
}

const compileWhere = (where: unknown): Predicate => {
  if (where === null || where === undefined) return () => true
  if (typeof where !== "object" || Array.isArray(where)) throw new QueryError("Argument `where` must be an object of type OrderFilledEvent_filter")
  const preds: Array<Predicate> = []
  for (const [key, value] of Object.entries(where as Record<string, unknown>)) {
    if (key === "and" || key === "or") {
      if (!Array.isArray(value)) throw new QueryError(`\`${key}\` must be a list of OrderFilledEvent_filter`)
      const subs = value.map(compileWhere)
      preds.push(key === "and" ? (e) => subs.every((p) => p(e)) : (e) => subs.some((p) => p(e)))
      continue
    }
    const field = FIELDS.find((f) => key.startsWith(f) && (OPS as ReadonlyArray<string>).includes(key.slice(f.length)))
    if (field === undefined) throw new QueryError(`Type \`OrderFilledEvent_filter\` has no field \`${key}\``)
    const op = key.slice(field.length)
    if (op === "_in" || op === "_not_in") {
      if (!Array.isArray(value)) throw new QueryError(`Filter \`${key}\` expects a list`)
      const inside = (e: SubgraphFill) => value.some((v) => compare(field, e, v) === 0)
      preds.push(op === "_in" ? inside : (e) => !inside(e))
      continue
    }
    if (value === null || typeof value === "object") throw new QueryError(`Filter \`${key}\` expects a scalar value`)
    switch (op) {
      case "":
        preds.push((e) => compare(field, e, value) === 0)
        break
      case "_not":
        preds.push((e) => compare(field, e, value) !== 0)
        break
      case "_gt":
        preds.push((e) => compare(field, e, value) > 0)
        break
      case "_gte":
        preds.push((e) => compare(field, e, value) >= 0)
        break
      case "_lt":
        preds.push((e) => compare(field, e, value) < 0)
        break
      case "_lte":
        preds.push((e) => compare(field, e, value) <= 0)
        break
    }
  }
  return (e) => preds.every((p) => p(e))
}

const tokenIndexes = new WeakMap<World, KeyIndex>()
const marketOfToken = (world: World, token: string): number | undefined => {
  let idx = tokenIndexes.get(world)
  if (idx === undefined) {
    idx = new KeyIndex(world.marketCount * 2, (k) => tokenIdOf(world.seed, k >> 1, k & 1))
    tokenIndexes.set(world, idx)
  }
  const k = idx.find(token)
  return k === undefined ? undefined : k >> 1
}

/** The markets a filter can match ("all" when it does not pin the asset ids), to avoid scanning the world. */
const candidateMarkets = (world: World, where: unknown): Set<number> | "all" => {
  if (where === null || typeof where !== "object" || Array.isArray(where)) return "all"
  const w = where as Record<string, unknown>
  let result: Set<number> | "all" = "all"
  const intersect = (s: Set<number> | "all") => {
    if (s === "all") return
    result = result === "all" ? s : new Set([...result].filter((m) => s.has(m)))
  }
  for (const key of ["makerAssetId", "takerAssetId", "makerAssetId_in", "takerAssetId_in"]) {
    const v = w[key]
    if (v === undefined) continue
    const tokens = (Array.isArray(v) ? v : [v]).map(String)
    if (tokens.includes("0")) continue
    const set = new Set<number>()
    for (const t of tokens) {
      const m = marketOfToken(world, t)
      if (m !== undefined) set.add(m)
    }
    intersect(set)
  }
  if (Array.isArray(w.and)) for (const sub of w.and) intersect(candidateMarkets(world, sub))
  if (Array.isArray(w.or)) {
    const union = new Set<number>()
    let all = false
    for (const sub of w.or) {
      const s = candidateMarkets(world, sub)
      if (s === "all") all = true
      else for (const m of s) union.add(m)
    }
    if (!all) intersect(union)
  }
  return result
}

/** Block bounds implied by top-level timestamp filters. */
const blockBounds = (world: World, where: unknown): readonly [number, number] => {
  let lo = world.firstBlock
  let hi = Math.min(world.headBlock, V2_GENESIS_BLOCK - 1)
  if (where !== null && typeof where === "object" && !Array.isArray(where)) {
    const w = where as Record<string, unknown>
    const n = (k: string) => (w[k] === undefined || w[k] === null ? undefined : Number(w[k]))
    const gt = n("timestamp_gt")
    const gte = n("timestamp_gte")
    const eq = n("timestamp")
    const lt = n("timestamp_lt")
    const lte = n("timestamp_lte")
    for (const t of [gt, gte, eq]) if (t !== undefined && Number.isFinite(t)) lo = Math.max(lo, blockAtTimestamp(t))
    for (const t of [lt, lte, eq]) if (t !== undefined && Number.isFinite(t)) hi = Math.min(hi, blockAtTimestamp(t) + 1)
  }
  return [lo, hi]
}

const positionsFor = (world: World, markets: Set<number> | "all", lo: number, hi: number): Uint32Array | readonly [number, number] => {
  const pLo = world.firstPositionAtOrAfter(lo)
  const pHi = world.firstPositionAtOrAfter(hi + 1)
  if (markets === "all") return [pLo, pHi]
  const out: Array<number> = []
  for (const m of markets) {
    for (let q = world.matchStart[m]!; q < world.matchStart[m + 1]!; q++) {
      const p = world.marketMatches[q]!
      if (p >= pLo && p < pHi) out.push(p)
    }
  }
  return Uint32Array.from(out).sort()
}

// Bounds the memory of one query (about 200 bytes per event held for sorting).
const MAX_SCANNED_MATCHES = 50_000

const selectFills = (world: World, caps: Caps, args: Record<string, unknown>): Array<SubgraphFill> => {
  const first = args.first === undefined ? 100 : Number(args.first)
  const skip = args.skip === undefined ? 0 : Number(args.skip)
  if (!Number.isInteger(first) || first < 0 || first > caps.goldskyFirstMax) {
    throw new QueryError(`The \`first\` argument must be between 0 and ${caps.goldskyFirstMax}, but is ${String(args.first)}`)
  }
  if (!Number.isInteger(skip) || skip < 0 || skip > caps.goldskySkipMax) {
    throw new QueryError(`The \`skip\` argument must be between 0 and ${caps.goldskySkipMax}, but is ${String(args.skip)}`)
  }
  const orderBy = args.orderBy === undefined ? "id" : String(args.orderBy)
  if (!(FIELDS as ReadonlyArray<string>).includes(orderBy)) {
    throw new QueryError(`Value "${orderBy}" does not exist in "OrderFilledEvent_orderBy" enum.`)
  }
  const direction = args.orderDirection === undefined ? "asc" : String(args.orderDirection)
  if (direction !== "asc" && direction !== "desc") throw new QueryError(`Value "${direction}" does not exist in "OrderDirection" enum.`)
  const pred = compileWhere(args.where)
  if (first === 0) return []
  const [lo, hi] = blockBounds(world, args.where)
  const positions = positionsFor(world, candidateMarkets(world, args.where), lo, hi)
  const count = positions instanceof Uint32Array ? positions.length : positions[1] - positions[0]
  const at = (k: number) => (positions instanceof Uint32Array ? positions[k]! : positions[0] + k)
  const field = orderBy as Field
  const sign = direction === "asc" ? 1 : -1
  const cmp = (a: SubgraphFill, b: SubgraphFill) => {
    const c = NUMERIC.has(field) ? (a[field] as number) - (b[field] as number) : a[field] < b[field] ? -1 : a[field] > b[field] ? 1 : 0
    return sign * (c !== 0 ? c : a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  }
  const collected: Array<SubgraphFill> = []
  const need = skip + first
  if (field === "timestamp") {
    // Positions are in block (= timestamp) order: stop once enough rows are in and the block changed.
    let lastBlock = -1
    for (let n = 0; n < count; n++) {
      const p = at(direction === "asc" ? n : count - 1 - n)
      const block = world.matchBlock[p]!
      if (collected.length >= need && block !== lastBlock) break
      for (const e of subgraphFillsAt(world, p)) {
        if (pred(e)) {
          collected.push(e)
          lastBlock = block
        }
      }
    }
  } else {
    if (count > MAX_SCANNED_MATCHES) {
      throw new QueryError(`Query too expensive for orderBy ${orderBy}: narrow it with a timestamp range or asset ids, or order by timestamp`)
    }
    for (let n = 0; n < count; n++) for (const e of subgraphFillsAt(world, at(n))) if (pred(e)) collected.push(e)
  }
  collected.sort(cmp)
  return collected.slice(skip, skip + first)
}

const project = (e: SubgraphFill, selection: SelectionSetNode | undefined): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const sel of selection?.selections ?? []) {
    if (sel.kind !== Kind.FIELD) throw new QueryError("Fragments are not supported by the simulator")
    const name = sel.name.value
    const key = sel.alias?.value ?? name
    if (name === "__typename") out[key] = "OrderFilledEvent"
    else if ((FIELDS as ReadonlyArray<string>).includes(name)) {
      const v = e[name as Field]
      out[key] = typeof v === "number" ? String(v) : v
    } else throw new QueryError(`Type \`OrderFilledEvent\` has no field \`${name}\``)
  }
  return out
}

const argsOf = (field: FieldNode, variables: Record<string, unknown>): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const arg of field.arguments ?? ([] as ReadonlyArray<ArgumentNode>)) out[arg.name.value] = valueFromASTUntyped(arg.value, variables)
  return out
}

const metaOf = (world: World, field: FieldNode): Record<string, unknown> => {
  const block = Math.min(world.headBlock, V2_GENESIS_BLOCK - 1)
  const out: Record<string, unknown> = {}
  for (const sel of field.selectionSet?.selections ?? []) {
    if (sel.kind !== Kind.FIELD) continue
    const key = sel.alias?.value ?? sel.name.value
    if (sel.name.value === "block") {
      const b: Record<string, unknown> = {}
      for (const s of sel.selectionSet?.selections ?? []) {
        if (s.kind !== Kind.FIELD) continue
        const k = s.alias?.value ?? s.name.value
        if (s.name.value === "number") b[k] = block
        else if (s.name.value === "timestamp") b[k] = timestampOfBlock(block)
        else if (s.name.value === "hash") b[k] = null
        else throw new QueryError(`Type \`_Block_\` has no field \`${s.name.value}\``)
      }
      out[key] = b
    } else if (sel.name.value === "deployment") out[key] = "QmSimulatedOrderbookSubgraph"
    else if (sel.name.value === "hasIndexingErrors") out[key] = false
    else throw new QueryError(`Type \`_Meta_\` has no field \`${sel.name.value}\``)
  }
  return out
}

const corrupt = (row: Record<string, unknown>, draw: number): Record<string, unknown> => {
  const copy = { ...row }
  const keys = Object.keys(copy).filter((k) => k !== "id")
  if (keys.length === 0) return copy
  const k = keys[Math.floor(draw * keys.length)]!
  copy[k] = draw < 0.5 ? null : "not-a-number"
  return copy
}

export const executeQuery = (world: World, caps: Caps, body: unknown, malformed = false, draw = 0): Record<string, unknown> => {
  if (body === null || typeof body !== "object" || typeof (body as { query?: unknown }).query !== "string") {
    throw new QueryError("The request body must be JSON with a `query` string")
  }
  const { query, variables, operationName } = body as { query: string; variables?: unknown; operationName?: unknown }
  const vars = variables !== null && typeof variables === "object" ? (variables as Record<string, unknown>) : {}
  const doc = parse(query)
  const ops = doc.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)
  const op = typeof operationName === "string" ? ops.find((o) => o.name?.value === operationName) : ops[0]
  if (op === undefined) throw new QueryError("No operation found in the query")
  if (op.operation !== "query") throw new QueryError(`Only queries are supported, got a ${op.operation}`)
  // Defaults of declared variables.
  for (const def of op.variableDefinitions ?? []) {
    const name = def.variable.name.value
    if (!(name in vars) && def.defaultValue !== undefined) vars[name] = valueFromASTUntyped(def.defaultValue, {})
  }
  const data: Record<string, unknown> = {}
  for (const sel of op.selectionSet.selections) {
    if (sel.kind !== Kind.FIELD) throw new QueryError("Fragments are not supported by the simulator")
    const key = sel.alias?.value ?? sel.name.value
    switch (sel.name.value) {
      case "orderFilledEvents": {
        const rows = selectFills(world, caps, argsOf(sel, vars)).map((e) => project(e, sel.selectionSet))
        if (malformed && rows.length > 0) {
          const k = Math.floor(draw * rows.length)
          rows[k] = corrupt(rows[k]!, (draw * 7919) % 1)
        }
        data[key] = rows
        break
      }
      case "_meta":
        data[key] = metaOf(world, sel)
        break
      case "__typename":
        data[key] = "Query"
        break
      default:
        throw new QueryError(`Type \`Query\` has no field \`${sel.name.value}\``)
    }
  }
  return { data }
}

export const handleGoldsky = (world: World, caps: Caps, req: SimRequest): SimResponse => {
  if (req.method !== "POST") return json(405, { errors: [{ message: "Send GraphQL queries with POST" }] })
  let body: unknown
  try {
    body = JSON.parse(req.body)
  } catch {
    return json(400, { errors: [{ message: "The request body is not valid JSON" }] })
  }
  try {
    return json(200, executeQuery(world, caps, body, req.malformed, req.draw))
  } catch (e) {
    if (e instanceof GraphQLError) {
      return json(200, { errors: [{ message: e.message, ...(e.locations !== undefined ? { locations: e.locations } : {}) }] })
    }
    if (e instanceof QueryError) return json(200, { errors: [{ message: e.message }] })
    throw e
  }
}
