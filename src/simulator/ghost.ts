import { hex32, Rng } from "../domain/prng.js"
import { slugify } from "./text.js"
import type { World } from "./world.js"
import { NS } from "./world.js"

/**
 * "Ghost" markets: markets the Data-API knows (wallets traded them) that Gamma does not list and the
 * chain index does not cover, as the external-trades runbook describes. Few and small, so they are
 * generated whole on first use.
 */
export interface GhostTrade {
  readonly wallet: number
  readonly side: "BUY" | "SELL"
  readonly outcome: number
  readonly priceCents: number
  readonly shares: number // raw, 6 decimals
  readonly timestamp: number
  readonly txHash: string
}

export interface GhostMarket {
  readonly index: number
  readonly conditionId: string
  readonly title: string
  readonly slug: string
  readonly eventSlug: string
  readonly outcomes: readonly [string, string]
  readonly tokenIds: readonly [string, string]
  readonly trades: ReadonlyArray<GhostTrade>
}

export const ghostCountOf = (world: World): number => Math.max(3, Math.floor(world.marketCount / 500))

const cache = new WeakMap<World, ReadonlyArray<GhostMarket>>()

export const ghostMarkets = (world: World): ReadonlyArray<GhostMarket> => {
  const hit = cache.get(world)
  if (hit !== undefined) return hit
  const seed = world.seed
  const out: Array<GhostMarket> = []
  const span = world.config.toTs - world.config.fromTs
  for (let g = 0; g < ghostCountOf(world); g++) {
    const rng = new Rng(seed, NS.ghost, g)
    const title = `Legacy market #${g + 1}: will the ${rng.pick(["home team", "incumbent", "index", "token"])} finish on top?`
    const slug = `${slugify(title)}-ghost-${g}`
    const token = (k: number) => (10n ** 76n + (BigInt(hex32(seed, NS.ghost, g, k)) % (9n * 10n ** 76n))).toString()
    const trades: Array<GhostTrade> = []
    const n = rng.int(3, 24)
    for (let t = 0; t < n; t++) {
      trades.push({
        wallet: world.walletOfDraw(rng.next()),
        side: rng.next() < 0.5 ? "BUY" : "SELL",
        outcome: rng.next() < 0.5 ? 0 : 1,
        priceCents: rng.int(2, 97),
        shares: rng.int(1, 20_000) * 10_000,
        timestamp: world.config.fromTs + Math.floor(rng.next() * span),
        txHash: hex32(seed, NS.ghost, g, 1000 + t)
      })
    }
    out.push({
      index: g,
      conditionId: hex32(seed, NS.ghost, g, 1),
      title,
      slug,
      eventSlug: slug,
      outcomes: ["Yes", "No"],
      tokenIds: [token(2), token(3)],
      trades
    })
  }
  const burst = world.config.burst
  if (burst !== undefined && burst.trades > 0) out.push(burstMarket(world, out.length, burst.wallet, burst.trades))
  cache.set(world, out)
  return out
}

/** A ghost market where one wallet trades `n` times in the same second, each trade its own transaction. */
const burstMarket = (world: World, g: number, wallet: number, n: number): GhostMarket => {
  const seed = world.seed
  const rng = new Rng(seed, NS.ghost, g)
  const title = `Legacy market #${g + 1}: a burst of ${n} trades in one second`
  const slug = `${slugify(title)}-ghost-${g}`
  const token = (k: number) => (10n ** 76n + (BigInt(hex32(seed, NS.ghost, g, k)) % (9n * 10n ** 76n))).toString()
  const timestamp = world.config.fromTs + Math.floor((world.config.toTs - world.config.fromTs) / 2)
  const trades: Array<GhostTrade> = []
  for (let t = 0; t < n; t++) {
    trades.push({
      wallet,
      side: rng.next() < 0.5 ? "BUY" : "SELL",
      outcome: rng.next() < 0.5 ? 0 : 1,
      priceCents: rng.int(2, 97),
      shares: rng.int(1, 20_000) * 10_000,
      timestamp,
      txHash: hex32(seed, NS.ghost, g, 1000 + t)
    })
  }
  return { index: g, conditionId: hex32(seed, NS.ghost, g, 1), title, slug, eventSlug: slug, outcomes: ["Yes", "No"], tokenIds: [token(2), token(3)], trades }
}
