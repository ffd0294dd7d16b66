import type { AbiEvent } from "viem"
import { CONTRACTS, EVENT_ABIS, EVENT_ABIS_V2, TOPICS, V2_GENESIS_BLOCK } from "./polygon.js"
import type { Era } from "./polygon.js"

/**
 * The on-chain eras of the CLOB, one entry each: the exchanges with their first block, the collateral,
 * and the OrderFilled layout. A new era (Protocol V2's ExchangeV3, say) is one more entry here; the
 * `onchain` job's filter, decoders and checks read only this table. Sources: polymarket-sources.md §4.
 */
export interface ChainEra {
  readonly era: Era
  /** First block of the era's first exchange. */
  readonly startBlock: number
  readonly exchanges: ReadonlyArray<{ readonly name: string; readonly address: string; readonly startBlock: number }>
  readonly collateral: string
  readonly orderFilled: { readonly topic: string; readonly abi: AbiEvent }
}

const eventAbi = (abis: ReadonlyArray<AbiEvent>, name: string): AbiEvent => abis.find((a) => a.name === name)!

export const CHAIN_ERAS: ReadonlyArray<ChainEra> = [
  {
    era: "v1",
    startBlock: 33_605_403,
    exchanges: [
      { name: "CTF Exchange", address: CONTRACTS.ctfExchangeV1, startBlock: 33_605_403 },
      { name: "NegRisk CTF Exchange", address: CONTRACTS.negRiskExchangeV1, startBlock: 50_505_492 }
    ],
    collateral: CONTRACTS.usdce,
    orderFilled: { topic: TOPICS.orderFilledV1, abi: eventAbi(EVENT_ABIS, "OrderFilled") }
  },
  {
    era: "v2",
    startBlock: V2_GENESIS_BLOCK,
    exchanges: [
      { name: "CTF Exchange V2", address: CONTRACTS.ctfExchangeV2, startBlock: V2_GENESIS_BLOCK },
      { name: "NegRisk CTF Exchange V2", address: CONTRACTS.negRiskExchangeV2, startBlock: V2_GENESIS_BLOCK }
    ],
    collateral: CONTRACTS.pusd,
    orderFilled: { topic: TOPICS.orderFilledV2, abi: eventAbi(EVENT_ABIS_V2, "OrderFilled") }
  }
]

/** The first block any exchange existed: the default start of `plan onchain`. */
export const FIRST_EXCHANGE_BLOCK = Math.min(...CHAIN_ERAS.map((e) => e.startBlock))

/** Contracts (besides the exchanges) whose collateral transfers belong to trading: the CTF and the NegRisk adapter. */
export const TRADING_CONTRACTS: ReadonlyArray<string> = [
  CONTRACTS.ctf,
  CONTRACTS.negRiskAdapter,
  ...CHAIN_ERAS.flatMap((e) => e.exchanges.map((x) => x.address))
]

export const COLLATERALS: ReadonlyArray<string> = [...new Set(CHAIN_ERAS.map((e) => e.collateral))]

export type ChainKind = "fills" | "transfers" | "resolutions"
export const CHAIN_KINDS: ReadonlyArray<ChainKind> = ["fills", "transfers", "resolutions"]

/** One eth_getLogs filter for every wanted kind: contract and topic0 OR-lists (other topics unfiltered). */
export const logFilterOf = (kinds: ReadonlyArray<ChainKind>): { readonly addresses: ReadonlyArray<string>; readonly topic0: ReadonlyArray<string> } => {
  const addresses = new Set<string>()
  const topic0 = new Set<string>()
  if (kinds.includes("fills")) {
    for (const e of CHAIN_ERAS) {
      for (const x of e.exchanges) addresses.add(x.address)
      topic0.add(e.orderFilled.topic)
    }
  }
  if (kinds.includes("transfers")) {
    addresses.add(CONTRACTS.ctf)
    for (const c of COLLATERALS) addresses.add(c)
    topic0.add(TOPICS.transferSingle).add(TOPICS.transferBatch).add(TOPICS.erc20Transfer)
  }
  if (kinds.includes("resolutions")) {
    addresses.add(CONTRACTS.ctf)
    topic0.add(TOPICS.conditionResolution)
  }
  return { addresses: [...addresses], topic0: [...topic0] }
}

/** The era whose OrderFilled layout a topic0 names, when it is one. */
export const eraOfOrderFilled = (topic0: string): ChainEra | undefined => CHAIN_ERAS.find((e) => e.orderFilled.topic === topic0)

export const isEraExchange = (era: ChainEra, address: string): boolean => era.exchanges.some((x) => x.address === address)
