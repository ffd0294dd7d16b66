/**
 * A lean simulator process for bench/simulator.ts: only the simulator's modules (not the whole CLI),
 * so its resident memory is the simulator's. Prints one JSON line with the URLs once listening.
 */
import { startSimulator } from "../src/simulator/server.js"

const arg = (name: string, dflt: number): number => {
  const k = process.argv.indexOf(`--${name}`)
  return k >= 0 ? Number(process.argv[k + 1]) : dflt
}

const main = async () => {
  const rssBefore = process.memoryUsage().rss
  const t0 = performance.now()
  const sim = await startSimulator({
    world: { seed: arg("seed", 42), markets: arg("markets", 171_000), wallets: arg("wallets", 50_000), from: "2026-03-01", to: "2026-06-01", fills: arg("fills", 10_000_000) }
  })
  const { world, ...urls } = sim
  process.stdout.write(
    JSON.stringify({
      ...urls,
      close: undefined,
      startMs: performance.now() - t0,
      buildMs: world.buildMs,
      rssBefore,
      matches: world.matchCount,
      markets: world.marketCount,
      wallets: world.walletCount,
      firstBlock: world.firstBlock,
      headBlock: world.headBlock
    }) + "\n"
  )
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
