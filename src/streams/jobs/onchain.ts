import { Clock, Effect, Either, Option, Schema } from "effect"
import { DAY_S, dayStart } from "../../domain/chainDays.js"
import type { ChainKind } from "../../domain/chainEras.js"
import { CHAIN_KINDS, logFilterOf } from "../../domain/chainEras.js"
import type { ChainRow, CountKind } from "../../domain/chainLogs.js"
import { blocksWithoutTimestamp, decodeLogs } from "../../domain/chainLogs.js"
import { LogRangeError, SourceError } from "../../domain/errors.js"
import type { TokenMap } from "../../domain/fills.js"
import { Uint256 } from "../../domain/ids.js"
import { Onchain } from "../../domain/statements.js"
import { grownSpan, narrowedSpan } from "../../domain/logRange.js"
import { TABLES } from "../../domain/tables.js"
import type { ClobFillRow } from "../../domain/tables.js"
import { ClickHouse } from "../../services/ClickHouse.js"
import { DEFAULT_ONCHAIN_SETTINGS, OnchainSettings } from "../../services/OnchainSettings.js"
import { PolygonRpc } from "../../services/PolygonRpc.js"
import type { LogFilter } from "../../services/PolygonRpc.js"
import { planDays } from "../chainDays.js"
import type { Job, Page, TableRows, UnitSpec, UnitToFetch } from "../Job.js"
import { pagesOf } from "../Job.js"

/** A day unit's payload: its UTC day and block range (inclusive). */
const DayPayload = Schema.parseJson(Schema.Struct({ day: Schema.String, from: Schema.Number, to: Schema.Number }))
type DayPayload = Schema.Schema.Type<typeof DayPayload>

export const COUNT_KINDS: ReadonlyArray<CountKind> = ["fills", "erc1155", "erc20", "resolutions"]

/**
 * Where a day stopped: the next block to read (every log before it acknowledged by ClickHouse), the
 * span that last worked, the rows written per kind, and the kinds read.
 */
export const DayCursor = Schema.parseJson(
  Schema.Struct({
    next: Schema.Number,
    span: Schema.Number,
    /** A range was refused in this day: the span grows slowly from now on. */
    capSeen: Schema.Boolean,
    counts: Schema.Struct({ fills: Schema.Number, erc1155: Schema.Number, erc20: Schema.Number, resolutions: Schema.Number }),
    kinds: Schema.Array(Schema.Literal(...CHAIN_KINDS))
  })
)
export type DayCursor = Schema.Schema.Type<typeof DayCursor>

const failure = (unit: UnitToFetch, message: string) => new SourceError({ reason: "Fatal", host: "rpc", message: `onchain day ${unit.unitKey}: ${message}` })

const settings = Effect.map(Effect.serviceOption(OnchainSettings), Option.getOrElse(() => DEFAULT_ONCHAIN_SETTINGS))

/** One eth_getLogs over [from, from + span - 1], narrowed until the provider takes it. */
const getLogsNarrowing = (unit: UnitToFetch, rpc: PolygonRpc["Type"], base: Omit<LogFilter, "fromBlock" | "toBlock">, from: number, to: number, span: number) => {
  const attempt = (span: number, refused: boolean): Effect.Effect<{ logs: ReadonlyArray<unknown>; span: number; to: number; refused: boolean }, SourceError> => {
    const end = Math.min(to, from + span - 1)
    return rpc.getLogs({ ...base, fromBlock: from, toBlock: end }).pipe(
      Effect.map((logs) => ({ logs, span, to: end, refused })),
      Effect.catchIf(
        (e): e is LogRangeError => e instanceof LogRangeError,
        (e) => {
          const narrower = narrowedSpan(e)
          return narrower === undefined
            ? Effect.fail(failure(unit, `block ${from} alone is over the provider's cap (${e.message}); use an RPC URL with a higher eth_getLogs limit`))
            : Effect.zipRight(Effect.logDebug(`eth_getLogs [${from}, ${end}] refused, narrowing to ${narrower} blocks: ${e.message}`), attempt(narrower, true))
        }
      )
    )
  }
  return attempt(span, false)
}

/** condition id and outcome of the tokens the fills name, from market_tokens (only those tokens). */
const tokensOf = (rows: ReadonlyArray<ChainRow>) =>
  Effect.gen(function* () {
    const ids = [...new Set(rows.flatMap((r) => (r.kind === "fills" ? [r.row.token_id] : [])))].filter(Schema.is(Uint256))
    if (ids.length === 0) return new Map() as TokenMap
    const ch = yield* ClickHouse
    const found = yield* ch.query(Onchain.tokensOf.sql(ids), Onchain.tokensOf.rows)
    return new Map(found.map((t) => [t.token_id, { conditionId: t.condition_id, outcomeIndex: t.outcome_index }])) as TokenMap
  })

const withMarkets = (row: ClobFillRow, tokens: TokenMap): ClobFillRow => {
  const t = tokens.get(row.token_id)
  return t === undefined ? row : { ...row, condition_id: t.conditionId, outcome_index: t.outcomeIndex }
}

const byTable = (rows: ReadonlyArray<ChainRow>, tokens: TokenMap): ReadonlyArray<TableRows> => {
  const tables = new Map<string, Array<Record<string, unknown>>>()
  for (const r of rows) {
    const list = tables.get(r.table) ?? []
    list.push((r.kind === "fills" ? withMarkets(r.row, tokens) : r.row) as unknown as Record<string, unknown>)
    tables.set(r.table, list)
  }
  return [...tables].map(([table, rows]) => ({ table, rows }))
}

const startCursor = (day: DayPayload, kinds: ReadonlyArray<ChainKind>, span: number): DayCursor => ({
  next: day.from,
  span,
  capSeen: false,
  counts: { fills: 0, erc1155: 0, erc20: 0, resolutions: 0 },
  kinds: [...kinds]
})

const decodePayload = Schema.decodeUnknownEither(DayPayload)
const decodeCursor = Schema.decodeUnknownEither(DayCursor)
const encodeCursor = Schema.encodeSync(DayCursor)

/** One page of a day: the logs of the next block range, decoded; the last one keeps the day's counts as its final cursor. */
export const onchainPage = (unit: UnitToFetch): Effect.Effect<Page, SourceError, PolygonRpc | ClickHouse> =>
  Effect.gen(function* () {
    const day = decodePayload(unit.payload)
    if (Either.isLeft(day)) return yield* failure(unit, "unreadable payload: rebuild the plan with `polybackfill plan onchain --rebuild`")
    const s = yield* settings
    const cursor = unit.cursor === "" ? Either.right(startCursor(day.right, s.kinds, s.initialSpan)) : decodeCursor(unit.cursor)
    if (Either.isLeft(cursor)) return yield* failure(unit, `unreadable cursor ${JSON.stringify(unit.cursor)}`)
    const at = cursor.right
    // A cursor past the day's end (left by an older build): nothing more to read.
    if (at.next > day.right.to) return { rows: [], quarantine: [], next: Option.none(), final: unit.cursor }
    const rpc = yield* PolygonRpc
    const filter = logFilterOf(at.kinds)
    const got = yield* getLogsNarrowing(unit, rpc, { addresses: filter.addresses, topics: [filter.topic0] }, at.next, day.right.to, Math.min(at.span, s.maxSpan))
    const missing = blocksWithoutTimestamp(got.logs)
    const timestamps = missing.length === 0 ? new Map<number, number>() : yield* rpc.blockTimestamps(missing)
    const now = Math.floor((yield* Clock.currentTimeMillis) / 1000)
    const decoded = decodeLogs(got.logs, { kinds: at.kinds, tokens: new Map(), now, timestampOf: (b) => timestamps.get(b) })
    const tokens = yield* Effect.mapError(tokensOf(decoded.rows), (e) => new SourceError({ reason: "Transient", host: "clickhouse", message: e.message }))
    const counts = { ...at.counts }
    for (const r of decoded.rows) counts[r.kind]++
    const capSeen = at.capSeen || got.refused
    const next: DayCursor = { next: got.to + 1, span: grownSpan(got.span, capSeen, s.maxSpan), capSeen, counts, kinds: at.kinds }
    const cursorText = encodeCursor(next)
    const last = got.to >= day.right.to
    return {
      rows: byTable(decoded.rows, tokens),
      quarantine: decoded.quarantine.map((q) => ({ source: "rpc", reason: q.reason, raw: q.raw })),
      // The day's counts stay in its cursor once it is done (status onchain reads them).
      next: last ? Option.none() : Option.some(cursorText),
      ...(last ? { final: cursorText } : {})
    }
  })

/** Every fill (both eras), ERC-1155 and collateral transfer, and resolution of Polygon, by UTC day. */
export const onchainJob: Job<PolygonRpc | ClickHouse> = {
  name: "onchain",
  description: "Polygon logs by UTC day: CLOB fills of both eras, ERC-1155 and collateral transfers, resolutions (eth_getLogs over the RPC pool)",
  tables: [TABLES.clobFills, TABLES.erc1155Transfers, TABLES.erc20Transfers, TABLES.marketResolutions],
  plan: Effect.gen(function* () {
    const s = yield* settings
    const planned = yield* planDays(s.window)
    if (planned.unfinished > 0) yield* Effect.logInfo(`onchain: ${planned.unfinished} day(s) the chain has not finished yet are left for a later plan`)
    return planned.units.map((u): UnitSpec => ({ unitKey: u.key, payload: JSON.stringify({ day: u.day, from: u.from, to: u.to }) }))
  }),
  span: (unit) => {
    const day = Either.getOrUndefined(decodePayload(unit.payload))
    const start = day === undefined ? undefined : dayStart(day.day)
    return start === undefined ? undefined : { from: start, to: start + DAY_S - 1 }
  },
  // No probe of its own: usesRpc starts the RPC pool before the run, and the pool asks every URL its chain.
  usesRpc: true,
  sources: ["rpc"],
  fetch: pagesOf(onchainPage),
  page: onchainPage
}
