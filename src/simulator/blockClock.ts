import { BLOCK_TIME_SECONDS, V2_GENESIS_BLOCK, V2_GENESIS_TIMESTAMP } from "../domain/polygon.js"

/** The simulated chain's clock: a block every 2 s, anchored at the V2 genesis block on 2026-04-28. */
export const timestampOfBlock = (block: number): number => V2_GENESIS_TIMESTAMP + (block - V2_GENESIS_BLOCK) * BLOCK_TIME_SECONDS

/** The last block whose timestamp is at or before `timestamp`. */
export const blockAtTimestamp = (timestamp: number): number =>
  V2_GENESIS_BLOCK + Math.floor((timestamp - V2_GENESIS_TIMESTAMP) / BLOCK_TIME_SECONDS)
