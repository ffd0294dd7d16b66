import { encodePacked, keccak256 } from "viem/utils"
import { CONTRACTS } from "../domain/polygon.js"
import { hash32, hashString, hex20, hex32, Rng, unit } from "../domain/prng.js"
import { binaryQuestion, contestTitle, negRiskQuestion, pseudonym, slugify } from "./text.js"
import type { Resolution, World } from "./world.js"
import { NS, ST } from "./world.js"

/** Everything the catalogue says about one market, derived from (seed, index). */
export interface MarketInfo {
  readonly index: number
  /** Gamma `id`: increases with the index. */
  readonly id: string
  readonly question: string
  readonly slug: string
  readonly description: string
  readonly eventId: string
  readonly eventSlug: string
  readonly eventTitle: string
  readonly negRisk: boolean
  readonly negRiskMarketId: string | undefined
  readonly oracle: string
  readonly questionId: string
  readonly conditionId: string
  readonly outcomes: readonly [string, string]
  readonly tokenIds: readonly [string, string]
  readonly createdTs: number
  readonly endTs: number
  /** 0 when not closed. */
  readonly closedTs: number
  readonly closed: boolean
  readonly resolution: Resolution
  /** As Gamma writes them: ["1","0"], ["0.5","0.5"], or live prices. */
  readonly outcomePrices: readonly [string, string]
  readonly umaResolutionStatus: string | undefined
  readonly liquidity: number
  readonly hasVolumeKey: boolean
  readonly hasStartDateKey: boolean
  readonly hasLiquidityKey: boolean
  readonly icon: string
}

const TOKEN_BASE = 10n ** 75n
const TOKEN_SPAN = 10n ** 77n - 10n ** 75n

/** A uint256 decimal string of 76 or 77 digits, as real CTF position ids are. */
export const tokenIdOf = (seed: number, market: number, outcome: number): string =>
  (TOKEN_BASE + (BigInt(hex32(seed, NS.token, market, outcome)) % TOKEN_SPAN)).toString()

export const conditionIdOf = (oracle: string, questionId: string): string =>
  keccak256(encodePacked(["address", "bytes32", "uint256"], [oracle as `0x${string}`, questionId as `0x${string}`, 2n]))

/** Ids increase strictly with the index (Gamma keyset pages by id). */
export const marketIdOf = (seed: number, i: number): string => String(200_000 + i * 2 + (hash32(seed, NS.market, i, 9) & 1))

export const NEG_RISK_GROUP = 4

const cache = new WeakMap<World, Map<number, MarketInfo>>()
const CACHE_MAX = 4_000

export const marketInfo = (world: World, i: number): MarketInfo => {
  let byIndex = cache.get(world)
  if (byIndex === undefined) {
    byIndex = new Map()
    cache.set(world, byIndex)
  }
  const hit = byIndex.get(i)
  if (hit !== undefined) return hit
  const info = deriveMarket(world, i)
  if (byIndex.size >= CACHE_MAX) byIndex.clear()
  byIndex.set(i, info)
  return info
}

const deriveMarket = (world: World, i: number): MarketInfo => {
  const seed = world.seed
  const st = world.status[i]!
  const negRisk = (st & ST.negRisk) !== 0
  const rng = new Rng(seed, NS.text, i)
  const id = marketIdOf(seed, i)
  const endTs = world.endTs[i]!
  let question: string
  let eventId: string
  let eventTitle: string
  let negRiskMarketId: string | undefined
  if (negRisk) {
    const group = Math.floor(i / NEG_RISK_GROUP)
    eventTitle = contestTitle(new Rng(seed, NS.text, group, 1))
    question = negRiskQuestion(rng, eventTitle)
    eventId = String(30_001 + group * 2)
    negRiskMarketId = hex32(seed, NS.question, group, 0xffff)
  } else {
    question = binaryQuestion(rng, endTs)
    eventTitle = question
    eventId = String(30_000 + i * 2)
    negRiskMarketId = undefined
  }
  const slug = `${slugify(question)}-${id}`
  const eventSlug = negRisk ? `${slugify(eventTitle)}-${eventId}` : slug
  const oracle = negRisk ? CONTRACTS.negRiskAdapter : CONTRACTS.umaCtfAdapter
  const questionId = hex32(seed, NS.question, i, 0)
  const conditionId = conditionIdOf(oracle, questionId)
  const updown = !negRisk && unit(seed, NS.text, i, 2) < 0.25
  const outcomes: readonly [string, string] = updown ? ["Up", "Down"] : ["Yes", "No"]
  const resolution = world.resolution(i)
  const closed = (st & ST.closed) !== 0
  const live = 2 + Math.floor(unit(seed, NS.text, i, 3) * 96)
  const outcomePrices: readonly [string, string] =
    resolution === "win0"
      ? ["1", "0"]
      : resolution === "win1"
        ? ["0", "1"]
        : resolution === "void"
          ? ["0.5", "0.5"]
          : [String(live / 100), String((100 - live) / 100)]
  return {
    index: i,
    id,
    question,
    slug,
    description: `This market resolves according to the listed resolution source. ${question}`,
    eventId,
    eventSlug,
    eventTitle,
    negRisk,
    negRiskMarketId,
    oracle,
    questionId,
    conditionId,
    outcomes,
    tokenIds: [tokenIdOf(seed, i, 0), tokenIdOf(seed, i, 1)],
    createdTs: world.createdTs[i]!,
    endTs,
    closedTs: world.closedTs[i]!,
    closed,
    resolution,
    outcomePrices,
    umaResolutionStatus: closed ? (resolution === "none" ? "proposed" : "resolved") : undefined,
    liquidity: closed ? 0 : Math.round(unit(seed, NS.text, i, 4) * 5_000_000) / 100,
    hasVolumeKey: (st & ST.noVolumeKey) === 0,
    hasStartDateKey: (st & ST.noStartDateKey) === 0,
    hasLiquidityKey: (st & ST.noLiquidityKey) === 0,
    icon: `https://polymarket-upload.s3.us-east-2.amazonaws.com/${slugify(eventTitle)}.png`
  }
}

/** Payout numerators of a resolution, as ConditionResolution carries them. */
export const payoutsOf = (resolution: Resolution): readonly [number, number] | undefined =>
  resolution === "win0" ? [1, 0] : resolution === "win1" ? [0, 1] : resolution === "void" ? [1, 1] : undefined

/** A wallet's proxy address: 40 lowercase hex digits; about 3% start with a run of zeros. */
export const walletAddressOf = (seed: number, w: number): string => {
  const a = hex20(seed, NS.wallet, w)
  if (unit(seed, NS.wallet, w, 1) < 0.03) {
    const zeros = 4 + (hash32(seed, NS.wallet, w, 2) % 7)
    return "0x" + "0".repeat(zeros) + a.slice(2 + zeros)
  }
  return a
}

const addressCache = new WeakMap<World, Array<string | undefined>>()

/** walletAddressOf, memoised per world. */
export const walletAddress = (world: World, w: number): string => {
  let arr = addressCache.get(world)
  if (arr === undefined) {
    arr = new Array<string | undefined>(world.walletCount)
    addressCache.set(world, arr)
  }
  return (arr[w] ??= walletAddressOf(world.seed, w))
}

export interface WalletProfile {
  readonly name: string
  readonly pseudonym: string
  readonly bio: string
  readonly profileImage: string
}

export const walletProfileOf = (seed: number, w: number, address: string): WalletProfile => {
  const rng = new Rng(seed, NS.wallet, w, 3)
  const pseudo = pseudonym(rng)
  const named = rng.next() < 0.4
  return {
    name: named ? `${pseudo.toLowerCase().replace("-", "")}${w}` : address,
    pseudonym: pseudo,
    bio: "",
    profileImage: named ? `https://polymarket-upload.s3.us-east-2.amazonaws.com/profile/${w}.png` : ""
  }
}

/** The operator that receives fees (msg.sender of matchOrders). */
export const operatorAddressOf = (seed: number): string => hex20(seed, 18, 0)

/** Open-addressing lookup from a derived string key back to its index, built on first use. */
export class KeyIndex {
  private table: Uint32Array | undefined
  constructor(
    private readonly count: number,
    private readonly keyOf: (k: number) => string
  ) {}
  private build(): Uint32Array {
    let size = 1
    while (size < this.count * 2) size <<= 1
    const table = new Uint32Array(Math.max(size, 2))
    const mask = table.length - 1
    for (let k = 0; k < this.count; k++) {
      let slot = hashString(this.keyOf(k)) & mask
      while (table[slot] !== 0) slot = (slot + 1) & mask
      table[slot] = k + 1
    }
    return table
  }
  find(key: string): number | undefined {
    if (this.table === undefined) this.table = this.build()
    const table = this.table
    const mask = table.length - 1
    let slot = hashString(key) & mask
    for (;;) {
      const v = table[slot]!
      if (v === 0) return undefined
      if (this.keyOf(v - 1) === key) return v - 1
      slot = (slot + 1) & mask
    }
  }
}
