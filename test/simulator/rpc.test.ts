import { decodeEventLog } from "viem"
import { describe, expect, it } from "vitest"
import { CONTRACTS, EVENT_ABIS, EVENT_ABIS_V2, TOPICS, V2_GENESIS_BLOCK, V2_GENESIS_TIMESTAMP } from "../../src/domain/polygon.js"
import { profileKnobs } from "../../src/simulator/config.js"
import type { FillTruth } from "../../src/simulator/groundTruth.js"
import { erc1155TruthsInBlocks, erc20TruthsInBlocks, fillTruthsInBlocks } from "../../src/simulator/groundTruth.js"
import { marketInfo } from "../../src/simulator/market.js"
import { postJson, SMALL_WORLD, useSimulator } from "./support.js"

const rpc = async (url: string, method: string, params: Array<unknown>) => {
  const { status, body } = await postJson(url, { jsonrpc: "2.0", id: 1, method, params })
  expect(status).toBe(200)
  return body
}

const hex = (n: number) => "0x" + n.toString(16)
const abis = [...EVENT_ABIS, ...EVENT_ABIS_V2]

/** Fetches logs over [from, to], splitting on -32005 by the suggested range (as a client should). */
const allLogs = async (url: string, from: number, to: number, filter: Record<string, unknown>) => {
  const out: Array<any> = []
  let splits = 0
  let lo = from
  while (lo <= to) {
    let hi = to
    for (;;) {
      const body = await rpc(url, "eth_getLogs", [{ ...filter, fromBlock: hex(lo), toBlock: hex(hi) }])
      if (body.error === undefined) {
        out.push(...body.result)
        break
      }
      expect(body.error.code).toBe(-32005)
      const m = /Try with this block range \[(0x[0-9a-f]+), (0x[0-9a-f]+)\]/.exec(body.error.message)
      expect(m).not.toBeNull()
      expect(Number(m![1])).toBe(lo)
      hi = Number(m![2])
      splits++
    }
    lo = hi + 1
  }
  return { logs: out, splits }
}

/** A ClobFillRow as a client derives it from a decoded OrderFilled log (V1 or V2 layout). */
const fillFromLog = (log: any, timestamp: number): Partial<FillTruth> => {
  const d = decodeEventLog({ abi: abis, data: log.data, topics: log.topics }) as any
  const a = d.args
  const v2 = log.topics[0] === TOPICS.orderFilledV2
  const makerAssetId = v2 ? (a.side === 0 ? "0" : a.tokenId.toString()) : a.makerAssetId.toString()
  const takerAssetId = v2 ? (a.side === 0 ? a.tokenId.toString() : "0") : a.takerAssetId.toString()
  return {
    fill_id: `${log.transactionHash}_${a.orderHash}`,
    log_index: Number(log.logIndex),
    block_number: Number(log.blockNumber),
    timestamp,
    exchange: log.address,
    era: v2 ? "v2" : "v1",
    maker: a.maker.toLowerCase(),
    taker: a.taker.toLowerCase(),
    maker_asset_id: makerAssetId,
    taker_asset_id: takerAssetId,
    maker_amount_filled: a.makerAmountFilled.toString(),
    taker_amount_filled: a.takerAmountFilled.toString(),
    fee: a.fee.toString(),
    side: makerAssetId === "0" ? "BUY" : "SELL"
  }
}

const pickFill = (t: FillTruth): Partial<FillTruth> => ({
  fill_id: t.fill_id,
  log_index: t.log_index,
  block_number: t.block_number,
  timestamp: t.timestamp,
  exchange: t.exchange,
  era: t.era,
  maker: t.maker,
  taker: t.taker,
  maker_asset_id: t.maker_asset_id,
  taker_asset_id: t.taker_asset_id,
  maker_amount_filled: t.maker_amount_filled,
  taker_amount_filled: t.taker_amount_filled,
  fee: t.fee,
  side: t.side
})

describe("polygon rpc", () => {
  const ctx = useSimulator({ world: SMALL_WORLD, knobs: { caps: { ...profileKnobs("none").caps, rpcMaxResults: 2000 } } })

  it("chain id, head and block timestamps from the 2 s clock anchored at the V2 genesis", async () => {
    expect((await rpc(ctx.sim.rpcUrl, "eth_chainId", [])).result).toBe("0x89")
    const head = Number((await rpc(ctx.sim.rpcUrl, "eth_blockNumber", [])).result)
    expect(head).toBe(ctx.sim.world.headBlock)
    const genesis = (await rpc(ctx.sim.rpcUrl, "eth_getBlockByNumber", [hex(V2_GENESIS_BLOCK), false])).result
    expect(Number(genesis.timestamp)).toBe(V2_GENESIS_TIMESTAMP)
    const later = (await rpc(ctx.sim.rpcUrl, "eth_getBlockByNumber", [hex(V2_GENESIS_BLOCK + 1000), false])).result
    expect(Number(later.timestamp)).toBe(V2_GENESIS_TIMESTAMP + 2000)
    expect((await rpc(ctx.sim.rpcUrl, "eth_getBlockByNumber", [hex(head + 1), false])).result).toBeNull()
  })

  it("OrderFilled logs of both eras decode with viem and equal the ground truth; split on -32005 by the suggested range", async () => {
    const w = ctx.sim.world
    const exchanges: Array<string> = [CONTRACTS.ctfExchangeV1, CONTRACTS.negRiskExchangeV1, CONTRACTS.ctfExchangeV2, CONTRACTS.negRiskExchangeV2]
    const { logs, splits } = await allLogs(ctx.sim.rpcUrl, w.firstBlock, w.headBlock, {
      address: exchanges,
      topics: [[TOPICS.orderFilledV1, TOPICS.orderFilledV2]]
    })
    expect(splits).toBeGreaterThan(0)
    const got = logs.map((l) => fillFromLog(l, V2_GENESIS_TIMESTAMP + (Number(l.blockNumber) - V2_GENESIS_BLOCK) * 2))
    const truth = [...fillTruthsInBlocks(w, w.firstBlock, w.headBlock)].map(pickFill)
    expect(got).toEqual(truth)
    expect(new Set(got.map((g) => g.era))).toEqual(new Set(["v1", "v2"]))
    expect(new Set(got.map((g) => `${g.block_number}:${g.log_index}`)).size).toBe(got.length)
    const takerLegs = got.filter((g) => exchanges.includes(g.taker!))
    expect(takerLegs.length).toBeGreaterThan(0)
    expect(takerLegs.length).toBeLessThan(got.length / 2)
  })

  it("ERC-20 and ERC-1155 transfers equal the ground truth (TransferBatch expanded per id)", async () => {
    const w = ctx.sim.world
    const from = V2_GENESIS_BLOCK - 150_000
    const to = V2_GENESIS_BLOCK + 150_000
    const erc20 = await allLogs(ctx.sim.rpcUrl, from, to, { address: [CONTRACTS.usdce, CONTRACTS.pusd], topics: [TOPICS.erc20Transfer] })
    const gotErc20 = erc20.logs.map((l) => {
      const d = decodeEventLog({ abi: EVENT_ABIS, data: l.data, topics: l.topics }) as any
      return { tx_hash: l.transactionHash, log_index: Number(l.logIndex), token: l.address, from_address: d.args.from.toLowerCase(), to_address: d.args.to.toLowerCase(), amount: d.args.value.toString() }
    })
    const truth20 = [...erc20TruthsInBlocks(w, from, to)].map(({ tx_hash, log_index, token, from_address, to_address, amount }) => ({ tx_hash, log_index, token, from_address, to_address, amount }))
    expect(gotErc20).toEqual(truth20)
    expect(new Set(gotErc20.map((t) => t.token)).size).toBe(2)

    const erc1155 = await allLogs(ctx.sim.rpcUrl, from, to, { address: CONTRACTS.ctf, topics: [[TOPICS.transferSingle, TOPICS.transferBatch]] })
    const got1155 = erc1155.logs.flatMap((l) => {
      const d = decodeEventLog({ abi: EVENT_ABIS, data: l.data, topics: l.topics }) as any
      const ids: Array<bigint> = d.eventName === "TransferBatch" ? d.args.ids : [d.args.id]
      const values: Array<bigint> = d.eventName === "TransferBatch" ? d.args.values : [d.args.value]
      return ids.map((id, b) => ({ tx_hash: l.transactionHash, log_index: Number(l.logIndex), batch_index: b, token_id: id.toString(), amount: values[b]!.toString(), from_address: d.args.from.toLowerCase() }))
    })
    const truth1155 = [...erc1155TruthsInBlocks(w, from, to)].map(({ tx_hash, log_index, batch_index, token_id, amount, from_address }) => ({ tx_hash, log_index, batch_index, token_id, amount, from_address }))
    expect(got1155).toEqual(truth1155)
    expect(got1155.some((t) => t.batch_index === 1)).toBe(true)
  })

  it("topic filters: null positions and OR-lists (maker as topic 2); ConditionResolution for resolved markets", async () => {
    const w = ctx.sim.world
    const truth = [...fillTruthsInBlocks(w, w.firstBlock, w.headBlock)]
    const maker = truth[0]!.maker
    const padded = "0x" + "0".repeat(24) + maker.slice(2)
    const { logs } = await allLogs(ctx.sim.rpcUrl, w.firstBlock, w.headBlock, { topics: [[TOPICS.orderFilledV1, TOPICS.orderFilledV2], null, padded] })
    expect(logs.length).toBe(truth.filter((t) => t.maker === maker).length)
    const res = await allLogs(ctx.sim.rpcUrl, w.firstBlock, w.headBlock, { address: CONTRACTS.ctf, topics: [TOPICS.conditionResolution] })
    const resolved = Array.from({ length: w.marketCount }, (_, i) => i).filter((i) => w.resolution(i) !== "none")
    expect(res.logs.length).toBe(resolved.length)
    const decoded = res.logs.map((l) => decodeEventLog({ abi: EVENT_ABIS, data: l.data, topics: l.topics }) as any)
    expect(new Set(decoded.map((d) => d.args.conditionId))).toEqual(new Set(resolved.map((i) => marketInfo(w, i).conditionId)))
    expect(decoded.some((d) => d.args.payoutNumerators.join(",") === "1,1")).toBe(true)
  })

  it("batches answer in order; unknown methods and bad params are JSON-RPC errors", async () => {
    const { body } = await postJson(ctx.sim.rpcUrl, [
      { jsonrpc: "2.0", id: 7, method: "eth_chainId", params: [] },
      { jsonrpc: "2.0", id: 8, method: "eth_nope", params: [] },
      { jsonrpc: "2.0", id: 9, method: "eth_getLogs", params: [{ fromBlock: "12", toBlock: "latest" }] }
    ])
    expect(body.map((r: any) => r.id)).toEqual([7, 8, 9])
    expect(body[0].result).toBe("0x89")
    expect(body[1].error.code).toBe(-32601)
    expect(body[2].error.code).toBe(-32602)
  })
})

describe("polygon rpc block-range cap", () => {
  const ctx = useSimulator({ world: SMALL_WORLD, knobs: { caps: { ...profileKnobs("none").caps, rpcMaxBlockRange: 1000 } } })

  it("answers -32602 past the maximum range and serves at the maximum", async () => {
    const from = ctx.sim.world.firstBlock
    const over = await rpc(ctx.sim.rpcUrl, "eth_getLogs", [{ fromBlock: hex(from), toBlock: hex(from + 1000) }])
    expect(over.error).toEqual({ code: -32602, message: "eth_getLogs block range too large, range: 1001, max: 1000" })
    const ok = await rpc(ctx.sim.rpcUrl, "eth_getLogs", [{ fromBlock: hex(from), toBlock: hex(from + 999) }])
    expect(Array.isArray(ok.result)).toBe(true)
  })
})
