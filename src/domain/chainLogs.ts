import { decodeEventLog } from "viem"
import type { AbiEvent, Hex } from "viem"
import type { ChainKind } from "./chainEras.js"
import { COLLATERALS, eraOfOrderFilled, isEraExchange, TRADING_CONTRACTS } from "./chainEras.js"
import type { TokenMap } from "./fills.js"
import { deriveFillV1, deriveFillV2 } from "./fills.js"
import { CONTRACTS, EVENT_ABIS, TOPICS } from "./polygon.js"
import type { ClobFillRow, Erc1155TransferRow, Erc20TransferRow, MarketResolutionRow } from "./tables.js"
import { TABLES } from "./tables.js"

/**
 * eth_getLogs log objects to table rows: OrderFilled of both eras (clob_fills), the CTF's ERC-1155
 * transfers, collateral ERC-20 transfers that touch a trading contract, and ConditionResolution
 * (market_resolutions). ABI decoding is viem's. A log that does not decode or whose values do not fit
 * their columns is returned as quarantine with its reason; nothing is dropped without a count.
 */

/** A log's fields as the job needs them, read from the node's JSON (hex quantities or plain numbers). */
export interface RawLog {
  readonly address: string
  readonly topics: ReadonlyArray<Hex>
  readonly data: Hex
  readonly blockNumber: number
  readonly transactionHash: string
  readonly logIndex: number
  /** Some nodes include it (eth_getLogs `blockTimestamp`); else it comes from the block header. */
  readonly blockTimestamp: number | undefined
  readonly removed: boolean
}

const HEX = /^0x[0-9a-fA-F]*$/
const HEX32 = /^0x[0-9a-fA-F]{64}$/
const ADDRESS = /^0x[0-9a-fA-F]{40}$/
const UINT64_MAX = 2n ** 64n - 1n
const DATETIME_MAX = 2 ** 32 - 1

const quantity = (v: unknown): number | undefined => {
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return v
  if (typeof v === "string" && /^0x[0-9a-fA-F]{1,13}$/.test(v)) return Number.parseInt(v, 16)
  if (typeof v === "string" && /^\d{1,15}$/.test(v)) return Number(v)
  return undefined
}

/** Blocks of logs that do not carry their own timestamp: their headers must be asked for. */
export const blocksWithoutTimestamp = (raws: ReadonlyArray<unknown>): ReadonlyArray<number> => {
  const blocks = new Set<number>()
  for (const raw of raws) {
    if (typeof raw !== "object" || raw === null) continue
    const l = raw as Record<string, unknown>
    if (l.blockTimestamp !== undefined && l.blockTimestamp !== null) continue
    const block = quantity(l.blockNumber)
    if (block !== undefined) blocks.add(block)
  }
  return [...blocks]
}

/** The log's fields, or the reason it cannot be one. */
export const readRawLog = (raw: unknown): RawLog | string => {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return "not a log object"
  const l = raw as Record<string, unknown>
  if (typeof l.address !== "string" || !ADDRESS.test(l.address)) return "address is not a 20-byte hex address"
  if (!Array.isArray(l.topics) || l.topics.length === 0 || !l.topics.every((t) => typeof t === "string" && HEX32.test(t))) {
    return "topics is not a non-empty list of 32-byte hex words"
  }
  if (typeof l.data !== "string" || !HEX.test(l.data) || l.data.length % 2 !== 0) return "data is not hex bytes"
  if (typeof l.transactionHash !== "string" || !HEX32.test(l.transactionHash)) return "transactionHash is missing or not a 32-byte hex hash"
  const blockNumber = quantity(l.blockNumber)
  if (blockNumber === undefined) return "blockNumber is missing or not a quantity"
  const logIndex = quantity(l.logIndex)
  if (logIndex === undefined) return "logIndex is missing or not a quantity"
  const blockTimestamp = l.blockTimestamp === undefined || l.blockTimestamp === null ? undefined : quantity(l.blockTimestamp)
  return {
    address: l.address.toLowerCase(),
    topics: (l.topics as Array<string>).map((t) => t.toLowerCase() as Hex),
    data: l.data as Hex,
    blockNumber,
    transactionHash: l.transactionHash.toLowerCase(),
    logIndex,
    blockTimestamp,
    removed: l.removed === true
  }
}

const abiOf = (name: string): AbiEvent => EVENT_ABIS.find((a) => a.name === name)! as AbiEvent
const ABI = {
  transferSingle: abiOf("TransferSingle"),
  transferBatch: abiOf("TransferBatch"),
  erc20Transfer: abiOf("Transfer"),
  conditionResolution: abiOf("ConditionResolution")
}

const decode = (abi: AbiEvent, log: RawLog): Record<string, unknown> =>
  decodeEventLog({ abi: [abi], data: log.data, topics: log.topics as [Hex, ...Array<Hex>], strict: true }).args as unknown as Record<string, unknown>

const lower = (v: unknown): string => String(v).toLowerCase()

export type ChainRow =
  | { readonly table: typeof TABLES.clobFills; readonly kind: "fills"; readonly row: ClobFillRow }
  | { readonly table: typeof TABLES.erc1155Transfers; readonly kind: "erc1155"; readonly row: Erc1155TransferRow }
  | { readonly table: typeof TABLES.erc20Transfers; readonly kind: "erc20"; readonly row: Erc20TransferRow }
  | { readonly table: typeof TABLES.marketResolutions; readonly kind: "resolutions"; readonly row: MarketResolutionRow }

export type CountKind = ChainRow["kind"]

export interface DecodeContext {
  readonly kinds: ReadonlyArray<ChainKind>
  readonly tokens: TokenMap
  /** Ingestion time (epoch s) for ingested_at / updated_at. */
  readonly now: number
  /** Block timestamps (epoch s) for logs that do not carry their own. */
  readonly timestampOf: (block: number) => number | undefined
}

export interface Decoded {
  readonly rows: ReadonlyArray<ChainRow>
  readonly quarantine: ReadonlyArray<{ readonly reason: string; readonly raw: string }>
  /** Logs that are not wanted (another kind, a transfer touching no trading contract, a removed log), with why. */
  readonly ignored: ReadonlyArray<{ readonly index: number; readonly reason: string }>
}

class Unfit extends Error {}

const uint64 = (name: string, v: bigint): string => {
  if (v > UINT64_MAX) throw new Unfit(`${name} ${v} does not fit UInt64`)
  return v.toString()
}

const fillOf = (log: RawLog, timestamp: number, later: number, ctx: DecodeContext): ClobFillRow | string => {
  const era = eraOfOrderFilled(log.topics[0]!)!
  if (!isEraExchange(era, log.address)) return `an ${era.era} OrderFilled from ${log.address}, which is not an ${era.era} exchange`
  const a = decode(era.orderFilled.abi, log)
  const common = {
    txHash: log.transactionHash,
    orderHash: lower(a.orderHash),
    timestamp,
    maker: lower(a.maker),
    taker: lower(a.taker),
    makerAmountFilled: uint64("makerAmountFilled", a.makerAmountFilled as bigint),
    takerAmountFilled: uint64("takerAmountFilled", a.takerAmountFilled as bigint),
    fee: uint64("fee", a.fee as bigint),
    logIndex: log.logIndex,
    blockNumber: log.blockNumber,
    exchange: log.address,
    later
  }
  return era.era === "v1"
    ? deriveFillV1({ ...common, makerAssetId: String(a.makerAssetId), takerAssetId: String(a.takerAssetId) }, ctx.tokens, "rpc", ctx.now)
    : deriveFillV2(
        { ...common, side: Number(a.side), tokenId: String(a.tokenId), builder: lower(a.builder), metadata: lower(a.metadata) },
        ctx.tokens,
        "rpc",
        ctx.now
      )
}

const erc1155Of = (log: RawLog, timestamp: number, ctx: DecodeContext): Array<Erc1155TransferRow> => {
  const batch = log.topics[0] === TOPICS.transferBatch
  const a = decode(batch ? ABI.transferBatch : ABI.transferSingle, log)
  const ids = batch ? (a.ids as ReadonlyArray<bigint>) : [a.id as bigint]
  const values = batch ? (a.values as ReadonlyArray<bigint>) : [a.value as bigint]
  if (ids.length !== values.length) throw new Unfit(`TransferBatch lists ${ids.length} ids but ${values.length} values`)
  return ids.map((id, b) => ({
    tx_hash: log.transactionHash,
    log_index: log.logIndex,
    batch_index: b,
    block_number: log.blockNumber,
    timestamp,
    contract: log.address,
    operator: lower(a.operator),
    from_address: lower(a.from),
    to_address: lower(a.to),
    token_id: id.toString(),
    amount: values[b]!.toString(),
    zero_value: values[b] === 0n ? 1 : 0,
    ingested_at: ctx.now
  }))
}

const erc20Of = (log: RawLog, timestamp: number, ctx: DecodeContext): Erc20TransferRow | string => {
  const a = decode(ABI.erc20Transfer, log)
  const from = lower(a.from)
  const to = lower(a.to)
  if (!TRADING_CONTRACTS.includes(from) && !TRADING_CONTRACTS.includes(to)) return "a collateral transfer between two addresses that are not trading contracts"
  return {
    tx_hash: log.transactionHash,
    log_index: log.logIndex,
    block_number: log.blockNumber,
    timestamp,
    token: log.address,
    from_address: from,
    to_address: to,
    amount: (a.value as bigint).toString(),
    ingested_at: ctx.now
  }
}

const resolutionOf = (log: RawLog, timestamp: number, ctx: DecodeContext): MarketResolutionRow => {
  const a = decode(ABI.conditionResolution, log)
  const numerators = (a.payoutNumerators as ReadonlyArray<bigint>).map((n, i) => uint64(`payoutNumerators[${i}]`, n))
  const paying = numerators.filter((n) => n !== "0").length
  return {
    condition_id: lower(a.conditionId),
    oracle: lower(a.oracle),
    question_id: lower(a.questionId),
    outcome_slot_count: Number(a.outcomeSlotCount),
    payout_numerators: numerators,
    payout_denominator: uint64("payout denominator", (a.payoutNumerators as ReadonlyArray<bigint>).reduce((s, n) => s + n, 0n)),
    winning_outcome_index: paying === 1 ? numerators.findIndex((n) => n !== "0") : -1,
    is_void: paying > 1 ? 1 : 0,
    resolved_at: timestamp,
    block_number: log.blockNumber,
    tx_hash: log.transactionHash,
    log_index: log.logIndex,
    source: "rpc",
    updated_at: ctx.now
  }
}

/** What a log is, by contract and topic0, or why it is not wanted. */
const kindOf = (log: RawLog, kinds: ReadonlyArray<ChainKind>): "fill" | "erc1155" | "erc20" | "resolution" | string => {
  const t0 = log.topics[0]!
  if (eraOfOrderFilled(t0) !== undefined) return kinds.includes("fills") ? "fill" : "an OrderFilled, and fills are not among --kinds"
  if (t0 === TOPICS.transferSingle || t0 === TOPICS.transferBatch) {
    if (log.address !== CONTRACTS.ctf) return `an ERC-1155 transfer of ${log.address}, not of the ConditionalTokens contract`
    return kinds.includes("transfers") ? "erc1155" : "an ERC-1155 transfer, and transfers are not among --kinds"
  }
  if (t0 === TOPICS.erc20Transfer) {
    if (!COLLATERALS.includes(log.address)) return `an ERC-20 transfer of ${log.address}, which is not a collateral (USDC.e, pUSD)`
    return kinds.includes("transfers") ? "erc20" : "a collateral transfer, and transfers are not among --kinds"
  }
  if (t0 === TOPICS.conditionResolution) {
    if (log.address !== CONTRACTS.ctf) return `a ConditionResolution of ${log.address}, not of the ConditionalTokens contract`
    return kinds.includes("resolutions") ? "resolution" : "a ConditionResolution, and resolutions are not among --kinds"
  }
  return `an event with topic0 ${t0}, which the onchain job does not read`
}

const firstLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split("\n")[0]!.slice(0, 300)

/**
 * Decodes one eth_getLogs answer (or any list of logs). All logs of a transaction must be in the list:
 * a fill's identity counts the later fills of its order in the same transaction (see fillId).
 */
export const decodeLogs = (raws: ReadonlyArray<unknown>, ctx: DecodeContext): Decoded => {
  const rows: Array<ChainRow> = []
  const quarantine: Array<{ reason: string; raw: string }> = []
  const ignored: Array<{ index: number; reason: string }> = []
  const logs = raws.map(readRawLog)
  // Fills of one order in one transaction, counted from the end: the last one is the subgraph's id.
  const later = new Array<number>(logs.length).fill(0)
  const seen = new Map<string, number>()
  for (let i = logs.length - 1; i >= 0; i--) {
    const log = logs[i]!
    if (typeof log === "string" || eraOfOrderFilled(log.topics[0]!) === undefined || log.topics[1] === undefined) continue
    const key = `${log.transactionHash}_${log.topics[1]}`
    const n = seen.get(key) ?? 0
    later[i] = n
    seen.set(key, n + 1)
  }
  logs.forEach((log, i) => {
    const raw = () => JSON.stringify(raws[i])
    if (typeof log === "string") return quarantine.push({ reason: `malformed log: ${log}`, raw: raw() })
    if (log.removed) return ignored.push({ index: i, reason: "removed by a reorg" })
    const kind = kindOf(log, ctx.kinds)
    if (kind !== "fill" && kind !== "erc1155" && kind !== "erc20" && kind !== "resolution") return ignored.push({ index: i, reason: kind })
    const timestamp = log.blockTimestamp ?? ctx.timestampOf(log.blockNumber)
    if (timestamp === undefined) return quarantine.push({ reason: `no timestamp known for block ${log.blockNumber}`, raw: raw() })
    if (timestamp <= 0 || timestamp > DATETIME_MAX) return quarantine.push({ reason: `timestamp ${timestamp} is outside DateTime's range`, raw: raw() })
    try {
      if (kind === "fill") {
        const row = fillOf(log, timestamp, later[i]!, ctx)
        return typeof row === "string" ? ignored.push({ index: i, reason: row }) : rows.push({ table: TABLES.clobFills, kind: "fills", row })
      }
      if (kind === "erc1155") {
        for (const row of erc1155Of(log, timestamp, ctx)) rows.push({ table: TABLES.erc1155Transfers, kind: "erc1155", row })
        return
      }
      if (kind === "erc20") {
        const row = erc20Of(log, timestamp, ctx)
        return typeof row === "string" ? ignored.push({ index: i, reason: row }) : rows.push({ table: TABLES.erc20Transfers, kind: "erc20", row })
      }
      return rows.push({ table: TABLES.marketResolutions, kind: "resolutions", row: resolutionOf(log, timestamp, ctx) })
    } catch (e) {
      return quarantine.push({ reason: e instanceof Unfit ? `value out of range: ${e.message}` : `undecodable ${kind} log: ${firstLine(e)}`, raw: raw() })
    }
  })
  return { rows, quarantine, ignored }
}
