import { createHash } from "node:crypto"
import { fillTruthsOfMarket, marketTruth } from "../../src/simulator/groundTruth.js"
import { World } from "../../src/simulator/world.js"
import { worldConfig } from "../../src/simulator/config.js"

/**
 * A digest of a world: its index and materialised rows (markets, fills of a few markets). Run as a
 * script by the cross-process determinism test; also imported.
 */
export const worldDigest = (seed: number): string => {
  const world = new World(worldConfig({ seed, markets: 300, wallets: 60, from: "2026-04-01", to: "2026-05-15", fills: 12_000 }))
  const h = createHash("sha256")
  h.update(String(world.digest()))
  for (let i = 0; i < world.marketCount; i += 7) {
    h.update(JSON.stringify(marketTruth(world, i)))
    h.update(JSON.stringify(fillTruthsOfMarket(world, i)))
  }
  return h.digest("hex")
}

if (process.argv.includes("--print")) {
  const seedArg = process.argv[process.argv.indexOf("--print") + 1]
  process.stdout.write(worldDigest(Number(seedArg)) + "\n")
}
