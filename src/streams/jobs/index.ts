import type { ClickHouse } from "../../services/ClickHouse.js"
import type { DataApiSource } from "../../services/DataApiSource.js"
import type { GammaSource } from "../../services/GammaSource.js"
import type { GoldskySource } from "../../services/GoldskySource.js"
import type { PolygonRpc } from "../../services/PolygonRpc.js"
import type { Job } from "../Job.js"
import { fillsJob } from "./fills.js"
import { marketsJob } from "./markets.js"
import { onchainJob } from "./onchain.js"
import { tradesJob } from "./trades.js"

/** What the jobs need: their source ports (live: layerSourceClients) and ClickHouse for planning. */
export type JobEnv = GammaSource | GoldskySource | DataApiSource | PolygonRpc | ClickHouse

/** Every job, in the order a full backfill runs them (fills needs the markets' tokens; onchain looks them up; trades ranks wallets by their fills). */
export const JOBS: ReadonlyArray<Job<JobEnv>> = [marketsJob, fillsJob, onchainJob, tradesJob]

export const jobNames = JOBS.map((j) => j.name)

export const findJob = (name: string): Job<JobEnv> | undefined => JOBS.find((j) => j.name === name)
