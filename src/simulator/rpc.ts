import { CONTRACTS, POLYGON_CHAIN_ID, TOPICS } from "../domain/polygon.js"
import { hex32 } from "../domain/prng.js"
import { timestampOfBlock } from "./blockClock.js"
import type { Caps } from "./config.js"
import type { LedgerLog, LedgerTx } from "./ledger.js"
import { logCountOf, matchShape, txsInBlocks } from "./ledger.js"
import type { SimRequest, SimResponse } from "./response.js"
import { json } from "./response.js"
import type { World } from "./world.js"
import { NS } from "./world.js"

/**
 * Polygon JSON-RPC over the world's chain: eth_chainId, net_version, eth_blockNumber,
 * eth_getBlockByNumber and eth_getLogs (address and topic filters with OR-lists and nulls), single
 * calls and batches, with provider caps as knobs: a maximum block range (-32602) and Infura's
 * 10,000-result cap (-32005 with a suggested range). Logs are ABI-encoded so viem's decodeEventLog
 * reads them.
 */

export interface RpcLog {
  readonly address: string
  readonly topics: ReadonlyArray<string>
  readonly data: string
  readonly blockNumber: string
  readonly transactionHash: string
  readonly transactionIndex: string
  readonly blockHash: string
  readonly logIndex: string
  readonly removed: boolean
}

class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string
  ) {
    super(message)
  }
}

const hex = (n: number | bigint): string => "0x" + n.toString(16)
const word = (n: number | bigint | string): string => BigInt(n).toString(16).padStart(64, "0")
const addrWord = (a: string): string => "000000000000000000000000" + a.slice(2)
const addrTopic = (a: string): string => "0x" + addrWord(a)
const bytesWord = (b: string): string => b.slice(2)

export const blockHashOf = (seed: number, block: number): string => hex32(seed, NS.blockHash, block)

/** ABI encoding of one ledger log: its emitting contract, topics and data. */
export const encodeLog = (tx: LedgerTx, log: LedgerLog): { address: string; topics: Array<string>; data: string } => {
  switch (log.t) {
    case "fill":
      return tx.era === "v1"
        ? {
            address: tx.exchange,
            topics: [TOPICS.orderFilledV1, log.leg.orderHash, addrTopic(log.maker), addrTopic(log.taker)],
            data: "0x" + word(log.makerAssetId) + word(log.takerAssetId) + word(log.makerAmount) + word(log.takerAmount) + word(log.leg.fee)
          }
        : {
            address: tx.exchange,
            topics: [TOPICS.orderFilledV2, log.leg.orderHash, addrTopic(log.maker), addrTopic(log.taker)],
            data:
              "0x" +
              word(log.leg.side === "BUY" ? 0 : 1) +
              word(log.tokenId) +
              word(log.makerAmount) +
              word(log.takerAmount) +
              word(log.leg.fee) +
              bytesWord(log.builder) +
              bytesWord(log.metadata)
          }
    case "matched":
      return tx.era === "v1"
        ? {
            address: tx.exchange,
            topics: [TOPICS.ordersMatchedV1, log.takerOrderHash, addrTopic(log.takerOrderMaker)],
            data: "0x" + word(log.makerAssetId) + word(log.takerAssetId) + word(log.makerAmount) + word(log.takerAmount)
          }
        : {
            address: tx.exchange,
            topics: [TOPICS.ordersMatchedV2, log.takerOrderHash, addrTopic(log.takerOrderMaker)],
            data: "0x" + word(log.side === "BUY" ? 0 : 1) + word(log.tokenId) + word(log.makerAmount) + word(log.takerAmount)
          }
    case "erc20":
      return { address: log.token, topics: [TOPICS.erc20Transfer, addrTopic(log.from), addrTopic(log.to)], data: "0x" + word(log.amount) }
    case "single":
      return {
        address: CONTRACTS.ctf,
        topics: [TOPICS.transferSingle, addrTopic(log.operator), addrTopic(log.from), addrTopic(log.to)],
        data: "0x" + word(log.id) + word(log.value)
      }
    case "batch": {
      const n = log.ids.length
      return {
        address: CONTRACTS.ctf,
        topics: [TOPICS.transferBatch, addrTopic(log.operator), addrTopic(log.from), addrTopic(log.to)],
        data:
          "0x" +
          word(0x40) +
          word(0x40 + 32 * (n + 1)) +
          word(n) +
          log.ids.map(word).join("") +
          word(n) +
          log.values.map(word).join("")
      }
    }
    case "resolution":
      return {
        address: CONTRACTS.ctf,
        topics: [TOPICS.conditionResolution, log.conditionId, addrTopic(log.oracle), log.questionId],
        data: "0x" + word(2) + word(0x40) + word(2) + word(log.payouts[0]) + word(log.payouts[1])
      }
  }
}

interface LogFilter {
  readonly fromBlock: number
  readonly toBlock: number
  readonly addresses: ReadonlyArray<string> | undefined
  readonly topics: ReadonlyArray<ReadonlyArray<string> | null>
}

const blockParam = (world: World, v: unknown, dflt: string): number => {
  const s = v === undefined || v === null ? dflt : v
  if (s === "latest" || s === "safe" || s === "finalized" || s === "pending") return world.headBlock
  if (s === "earliest") return 0
  if (typeof s === "string" && /^0x[0-9a-fA-F]+$/.test(s)) return Number.parseInt(s, 16)
  throw new RpcError(-32602, `invalid argument: block number ${JSON.stringify(s)}: hex string or tag expected`)
}

const parseFilter = (world: World, raw: unknown): LogFilter => {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw new RpcError(-32602, "invalid argument 0: filter object expected")
  const f = raw as Record<string, unknown>
  if (f.blockHash !== undefined) throw new RpcError(-32602, "blockHash filters are not supported by the simulator; use fromBlock/toBlock")
  const fromBlock = blockParam(world, f.fromBlock, "latest")
  const toBlock = blockParam(world, f.toBlock, "latest")
  let addresses: Array<string> | undefined
  if (f.address !== undefined && f.address !== null) {
    const list = Array.isArray(f.address) ? f.address : [f.address]
    addresses = list.map((a) => {
      if (typeof a !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(a)) throw new RpcError(-32602, `invalid argument: address ${JSON.stringify(a)}`)
      return a.toLowerCase()
    })
  }
  const topics: Array<ReadonlyArray<string> | null> = []
  if (f.topics !== undefined && f.topics !== null) {
    if (!Array.isArray(f.topics)) throw new RpcError(-32602, "invalid argument: topics must be an array")
    for (const t of f.topics) {
      if (t === null) topics.push(null)
      else {
        const list = Array.isArray(t) ? t : [t]
        topics.push(
          list.map((x) => {
            if (typeof x !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(x)) throw new RpcError(-32602, `invalid argument: topic ${JSON.stringify(x)}`)
            return x.toLowerCase()
          })
        )
      }
    }
  }
  return { fromBlock, toBlock, addresses, topics }
}

const matches = (f: LogFilter, log: { address: string; topics: ReadonlyArray<string> }): boolean => {
  if (f.addresses !== undefined && !f.addresses.includes(log.address)) return false
  for (let k = 0; k < f.topics.length; k++) {
    const want = f.topics[k]
    if (want === null || want === undefined || want.length === 0) continue
    const have = log.topics[k]
    if (have === undefined || !want.includes(have)) return false
  }
  return true
}

/** A result already serialised to JSON (eth_getLogs builds its answer as text, to keep garbage low). */
class RawJson {
  constructor(readonly json: string) {}
}

const logJson = (tx: LedgerTx, enc: { address: string; topics: ReadonlyArray<string>; data: string }, blockHash: string, logIndex: number, withTimestamp: boolean): string => {
  const timestamp = withTimestamp ? `"blockTimestamp":"${hex(tx.timestamp)}",` : ""
  return (
    `{"address":"${enc.address}","topics":["${enc.topics.join('","')}"],"data":"${enc.data}","blockNumber":"${hex(tx.block)}","transactionHash":"${tx.txHash}",` +
    `"transactionIndex":"${hex(tx.transactionIndex)}","blockHash":"${blockHash}",${timestamp}"logIndex":"${hex(logIndex)}","removed":false}`
  )
}

const unfiltered = (f: LogFilter): boolean => f.addresses === undefined && f.topics.every((t) => t === null || t.length === 0)

/** Without filters every log counts: check the cap from log counts alone, before building any log. */
const checkCapByCounts = (world: World, caps: Caps, f: LogFilter, to: number): void => {
  let count = 0
  let lastFullBlock = f.fromBlock - 1
  let p = world.firstPositionAtOrAfter(f.fromBlock)
  while (p < world.matchCount && world.matchBlock[p]! <= to) {
    const block = world.matchBlock[p]!
    for (; p < world.matchCount && world.matchBlock[p] === block; p++) {
      const market = world.matchMarket[p]!
      count += logCountOf(world, matchShape(world, market, world.rankOf(p), p))
    }
    // Resolution logs are one per resolved market; counted where they fall, below.
    if (count > caps.rpcMaxResults) {
      throw new RpcError(-32005, `query returned more than ${caps.rpcMaxResults} results. Try with this block range [${hex(f.fromBlock)}, ${hex(Math.max(f.fromBlock, lastFullBlock))}].`)
    }
    lastFullBlock = block
  }
}

export const getLogs = (world: World, caps: Caps, rawFilter: unknown, malformed = false, draw = 0): RawJson => {
  const f = parseFilter(world, rawFilter)
  if (f.fromBlock > f.toBlock) throw new RpcError(-32602, `invalid block range params: fromBlock ${hex(f.fromBlock)} is after toBlock ${hex(f.toBlock)}`)
  const range = f.toBlock - f.fromBlock + 1
  if (caps.rpcMaxBlockRange > 0 && range > caps.rpcMaxBlockRange) {
    throw new RpcError(-32602, `eth_getLogs block range too large, range: ${range}, max: ${caps.rpcMaxBlockRange}`)
  }
  const to = Math.min(f.toBlock, world.headBlock)
  if (unfiltered(f)) checkCapByCounts(world, caps, f, to)
  const out: Array<string> = []
  let lastFullBlock = f.fromBlock - 1
  let currentBlock = -1
  const badAt = malformed ? Math.floor(draw * 1000) : -1
  for (const tx of txsInBlocks(world, f.fromBlock, to)) {
    if (tx.block !== currentBlock) {
      lastFullBlock = currentBlock === -1 ? f.fromBlock - 1 : currentBlock
      currentBlock = tx.block
    }
    const blockHash = blockHashOf(world.seed, tx.block)
    for (let k = 0; k < tx.logs.length; k++) {
      const enc = encodeLog(tx, tx.logs[k]!)
      if (!matches(f, enc)) continue
      if (out.length >= caps.rpcMaxResults) {
        const suggestTo = Math.max(f.fromBlock, lastFullBlock)
        throw new RpcError(-32005, `query returned more than ${caps.rpcMaxResults} results. Try with this block range [${hex(f.fromBlock)}, ${hex(suggestTo)}].`)
      }
      out.push(logJson(tx, enc, blockHash, tx.firstLogIndex + k, caps.rpcLogsWithoutTimestamp !== true))
    }
  }
  if (malformed && out.length > 0) {
    // A log that violates the schema: no topics, or data that is not hex.
    const k = badAt % out.length
    const entry = JSON.parse(out[k]!) as Record<string, unknown>
    if (draw * 7919 % 1 < 0.5) delete entry.topics
    else entry.data = "0xzz"
    out[k] = JSON.stringify(entry)
  }
  return new RawJson(`[${out.join(",")}]`)
}

const blockObject = (world: World, block: number, full: boolean): Record<string, unknown> | null => {
  if (block > world.headBlock || block < 0) return null
  const txs = [...txsInBlocks(world, block, block)]
  const hash = blockHashOf(world.seed, block)
  return {
    number: hex(block),
    hash,
    parentHash: blockHashOf(world.seed, block - 1),
    timestamp: hex(timestampOfBlock(block)),
    nonce: "0x0000000000000000",
    difficulty: "0x1",
    gasLimit: hex(30_000_000),
    gasUsed: hex(txs.length * 250_000),
    miner: "0x0000000000000000000000000000000000000000",
    extraData: "0x",
    baseFeePerGas: hex(30_000_000_000),
    logsBloom: "0x" + "0".repeat(512),
    sha3Uncles: "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347",
    uncles: [],
    transactions: txs.map((tx) =>
      full
        ? { hash: tx.txHash, blockHash: hash, blockNumber: hex(block), transactionIndex: hex(tx.transactionIndex), to: tx.exchange, input: "0x" }
        : tx.txHash
    )
  }
}

const call = (world: World, caps: Caps, method: unknown, params: unknown, req: SimRequest): unknown => {
  const p = Array.isArray(params) ? params : params === undefined || params === null ? [] : undefined
  if (p === undefined) throw new RpcError(-32602, "invalid params: expected an array")
  switch (method) {
    case "eth_chainId":
      return hex(caps.rpcChainId ?? POLYGON_CHAIN_ID)
    case "net_version":
      return String(caps.rpcChainId ?? POLYGON_CHAIN_ID)
    case "eth_blockNumber":
      return hex(world.headBlock)
    case "eth_getBlockByNumber":
      return blockObject(world, blockParam(world, p[0], "latest"), p[1] === true)
    case "eth_getLogs":
      return getLogs(world, caps, p[0], req.malformed, req.draw)
    default:
      throw new RpcError(-32601, `the method ${String(method)} does not exist/is not available`)
  }
}

/** One call's answer, as JSON text. */
const single = (world: World, caps: Caps, msg: unknown, req: SimRequest): string => {
  if (msg === null || typeof msg !== "object" || Array.isArray(msg)) {
    return JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32600, message: "invalid request" } })
  }
  const m = msg as { id?: unknown; method?: unknown; params?: unknown }
  const id = m.id ?? null
  try {
    const result = call(world, caps, m.method, m.params, req)
    return result instanceof RawJson
      ? `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${result.json}}`
      : JSON.stringify({ jsonrpc: "2.0", id, result })
  } catch (e) {
    if (e instanceof RpcError) return JSON.stringify({ jsonrpc: "2.0", id, error: { code: e.code, message: e.message } })
    throw e
  }
}

const jsonText = (body: string): SimResponse => ({ status: 200, contentType: "application/json", body })

export const handleRpc = (world: World, caps: Caps, req: SimRequest): SimResponse => {
  if (req.method !== "POST") return json(405, { jsonrpc: "2.0", id: null, error: { code: -32600, message: "use POST" } })
  let msg: unknown
  try {
    msg = JSON.parse(req.body)
  } catch {
    return json(200, { jsonrpc: "2.0", id: null, error: { code: -32700, message: "parse error" } })
  }
  if (Array.isArray(msg)) {
    if (msg.length === 0) return json(200, { jsonrpc: "2.0", id: null, error: { code: -32600, message: "empty batch" } })
    return jsonText(`[${msg.map((m) => single(world, caps, m, req)).join(",")}]`)
  }
  return jsonText(single(world, caps, msg, req))
}

/** The method of a call (or "batch"), for per-method statistics, without parsing the whole body. */
export const rpcMethodsOf = (body: string): string => {
  const head = body.trimStart()
  if (head.startsWith("[")) return "batch"
  const m = /"method"\s*:\s*"([A-Za-z0-9_]{1,64})"/.exec(head.slice(0, 512))
  return m?.[1] ?? "invalid"
}
