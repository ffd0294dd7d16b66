/**
 * The local stand-in for Polymarket's APIs and Polygon RPC. Start it in-process with
 * `layerSimulator(options)` (Layer, SimulatorServer tag) or `startSimulator(options)` (Promise), and
 * check results against the ground truth functions, which read the world's ledger directly.
 */
export { layerSimulator, PATHS, resolveWorld, SimulatorServer, simulatorSources, startSimulator } from "./server.js"
export type { SimulatorHandle, SimulatorOptions } from "./server.js"
export { parseDay, parseLatency, parseRateLimit, parseRateSchedule, profileKnobs, worldConfig } from "./config.js"
export type { Caps, Faults, Family, Knobs, Profile, RateLimitRule, RateSchedule, WorldConfig, WorldOptions } from "./config.js"
export { World } from "./world.js"
export * from "./groundTruth.js"
export { marketInfo, walletAddress } from "./market.js"
export { timestampOfBlock, blockAtTimestamp } from "./blockClock.js"
export { floorPnlOfGhostMarkets, floorPnlOfMarket, shortPnlOfResolvedMarket } from "./pnlTruth.js"
