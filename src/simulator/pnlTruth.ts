import { ghostMarkets } from "./ghost.js"
import { externalTradeId } from "./groundTruth.js"
import { marketTxs } from "./ledger.js"
import { marketInfo, payoutsOf, walletAddress } from "./market.js"
import type { World } from "./world.js"

/**
 * Wallet P&L net of fees, from the ledger's order legs (never from the rebuild's SQL or src/domain/pnl.ts).
 * Fees in the unit the ledger charged them: V1 BUY in the tokens received, every other leg in collateral
 * (a V2 BUY pays it on top, a SELL receives that much less). Amounts stay raw (6 decimals) until the end.
 */

interface LegOfWallet {
  readonly wallet: string
  readonly outcome: number
  readonly buy: boolean
  readonly shares: number // raw, received (net of a token fee) or given
  readonly cash: number // raw, paid (BUY, fee included) or received (SELL, fee deducted)
  readonly fee: number // raw, in its unit
  readonly feeInShares: boolean
}

function* legsOfMarket(world: World, market: number): Generator<LegOfWallet> {
  for (const tx of marketTxs(world, market)) {
    for (const log of tx.logs) {
      if (log.t !== "fill") continue
      const { side, shares, usdc, fee, outcome } = log.leg
      const feeInShares = tx.era === "v1" && side === "BUY"
      const buy = side === "BUY"
      yield {
        wallet: log.maker,
        outcome,
        buy,
        shares: buy && feeInShares ? shares - fee : shares,
        cash: buy ? usdc + (feeInShares ? 0 : fee) : usdc - fee,
        fee,
        feeInShares
      }
    }
  }
}

const perShare = (world: World, market: number): readonly [number, number] | undefined => {
  const p = payoutsOf(marketInfo(world, market).resolution)
  return p === undefined ? undefined : [p[0] / (p[0] + p[1]), p[1] / (p[0] + p[1])]
}

/**
 * P&L under `--oversell short` of every wallet in a resolved market, by cash flows alone (which the average
 * cost method must reproduce once every position is settled): Σ proceeds − Σ cost + Σ payout × net shares.
 * Also the fees each paid, valued at the payout (token fees) or face (collateral fees): across the market,
 * the P&L sums to minus these. Undefined for an unresolved market.
 */
export const shortPnlOfResolvedMarket = (world: World, market: number): Map<string, { readonly pnl: number; readonly fees: number }> | undefined => {
  const pay = perShare(world, market)
  if (pay === undefined) return undefined
  const acc = new Map<string, { pnl: number; fees: number }>()
  for (const leg of legsOfMarket(world, market)) {
    const a = acc.get(leg.wallet) ?? { pnl: 0, fees: 0 }
    a.pnl += leg.buy ? pay[leg.outcome]! * leg.shares - leg.cash : leg.cash - pay[leg.outcome]! * leg.shares
    a.fees += leg.feeInShares ? leg.fee * pay[leg.outcome]! : leg.fee
    acc.set(leg.wallet, a)
  }
  return new Map([...acc].map(([w, a]) => [w, { pnl: a.pnl / 1e6, fees: a.fees / 1e6 }]))
}

/**
 * The `--oversell floor` rule as Polymarket's P&L indexer applies it, per (wallet, outcome): a buy adds
 * shares and their cost; a sell closes at most the shares held, realizing (its price − average cost) on
 * them and ignoring the rest; at resolution what is held settles at the payout. Trades in the order given.
 */
class FloorBook {
  readonly qty = new Map<string, number>()
  readonly basis = new Map<string, number>()
  readonly pnl = new Map<string, number>()

  trade(wallet: string, key: string, buy: boolean, shares: number, cash: number): void {
    const k = `${wallet}|${key}`
    const q = this.qty.get(k) ?? 0
    const b = this.basis.get(k) ?? 0
    if (!this.pnl.has(wallet)) this.pnl.set(wallet, 0)
    if (buy) {
      this.qty.set(k, q + shares)
      this.basis.set(k, b + cash)
      return
    }
    const closed = Math.min(shares, q)
    if (closed <= 0) return
    const costOfClosed = (b * closed) / q
    this.pnl.set(wallet, this.pnl.get(wallet)! + (cash * closed) / shares - costOfClosed)
    this.qty.set(k, q - closed)
    this.basis.set(k, b - costOfClosed)
  }

  settle(payout: (key: string) => number | undefined): Map<string, number> {
    for (const [k, q] of this.qty) {
      const [wallet, key] = k.split("|") as [string, string]
      const pay = payout(key)
      if (pay !== undefined) this.pnl.set(wallet, this.pnl.get(wallet)! + q * pay - this.basis.get(k)!)
    }
    return new Map([...this.pnl].map(([w, p]) => [w, p / 1e6]))
  }
}

/** Realized P&L under `--oversell floor` of every wallet that traded a market (open markets: the sells' realized part only). */
export const floorPnlOfMarket = (world: World, market: number): Map<string, number> => {
  const book = new FloorBook()
  for (const leg of legsOfMarket(world, market)) book.trade(leg.wallet, String(leg.outcome), leg.buy, leg.shares, leg.cash)
  const pay = perShare(world, market)
  return book.settle((key) => pay?.[Number(key)])
}

/**
 * The same for the ghost markets (known only from Data-API trades, never resolved), by condition id. Trades
 * within one second are taken in external trade id order, as the rebuild documents for sources without a
 * log index; the id is the one externalTradeTruthsOfWallet gives.
 */
export const floorPnlOfGhostMarkets = (world: World): Map<string, Map<string, number>> => {
  const out = new Map<string, Map<string, number>>()
  for (const g of ghostMarkets(world)) {
    const trades = g.trades.map((t) => {
      const wallet = walletAddress(world, t.wallet)
      return { t, wallet, id: externalTradeId(t.txHash, wallet, g.tokenIds[t.outcome]!, t.side) }
    })
    trades.sort((a, b) => a.t.timestamp - b.t.timestamp || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    const book = new FloorBook()
    for (const { t, wallet } of trades) book.trade(wallet, String(t.outcome), t.side === "BUY", t.shares, (t.shares * t.priceCents) / 100)
    out.set(g.conditionId, book.settle(() => undefined))
  }
  return out
}
