import type { ClickHouse } from "../../services/ClickHouse.js"
import type { Job } from "../Job.js"
import type { HttpJobEnv } from "./env.js"
import { fillsJob } from "./fills.js"
import { marketsJob } from "./markets.js"

export type JobEnv = HttpJobEnv | ClickHouse

/** Every job, in the order a full backfill runs them (fills needs the markets' tokens). */
export const JOBS: ReadonlyArray<Job<JobEnv>> = [marketsJob, fillsJob]

export const jobNames = JOBS.map((j) => j.name)

export const findJob = (name: string): Job<JobEnv> | undefined => JOBS.find((j) => j.name === name)
