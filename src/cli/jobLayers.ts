import { Effect, Layer } from "effect"
import type { CheckpointFileError } from "../services/UnitStore.js"
import type { ClickHouseError, UsageError } from "../domain/errors.js"
import type { Governor } from "../services/Governor.js"
import { Sources } from "../services/Sources.js"
import type { UnitStore } from "../services/UnitStore.js"
import type { ClickHouse } from "../services/ClickHouse.js"
import { layerClickHouse as layerUnitsClickHouse } from "../layers/UnitStoreClickHouse.js"
import { layerFile } from "../layers/UnitStoreFile.js"
import { layerSourceClients, layerSourceClientsRpcFirst } from "../layers/SourceClients.js"
import { layerUndiciTransport } from "../layers/http/undiciTransport.js"
import { findJob, jobNames } from "../streams/jobs/index.js"
import type { JobEnv } from "../streams/jobs/index.js"
import type { Job } from "../streams/Job.js"
import { UsageError as Usage } from "../domain/errors.js"
import type { ClickHouseOptionValues, SourceOptionValues } from "./common.js"
import { resolveClickHouseTarget, resolveSources } from "./common.js"

/** The job named on the command line, or one line listing the jobs there are. */
export const jobByName = (name: string): Effect.Effect<Job<JobEnv>, UsageError> => {
  const job = findJob(name)
  return job === undefined
    ? Effect.fail(new Usage({ message: `unknown job "${name}": choose one of ${jobNames.join(", ")}` }))
    : Effect.succeed(job)
}

/** Where units live: ClickHouse backfill_units, or the file log of the configured database under --state-dir. */
export const layerUnitStore = (
  checkpoint: "clickhouse" | "file",
  opts: ClickHouseOptionValues
): Layer.Layer<UnitStore, ClickHouseError | CheckpointFileError | UsageError, ClickHouse> =>
  checkpoint === "clickhouse" ? layerUnitsClickHouse : layerFileStore(opts)

/** The file log of the configured database: needs no ClickHouse connection. */
export const layerFileStore = (opts: ClickHouseOptionValues): Layer.Layer<UnitStore, CheckpointFileError | UsageError> =>
  Layer.unwrapEffect(Effect.map(resolveClickHouseTarget(opts), (target) => layerFile(opts.stateDir, target.database)))

/** What the jobs talk through, apart from ClickHouse: the source clients over HTTP, the governor, the URLs. */
export const layerJobEnv = <E, R, E2, R2>(sources: Layer.Layer<Sources, E2, R2>, governor: Layer.Layer<Governor, E, R>, job?: Job<JobEnv>) =>
  (job?.usesRpc === true ? layerSourceClientsRpcFirst : layerSourceClients).pipe(
    Layer.provideMerge(Layer.mergeAll(layerUndiciTransport, governor, sources))
  )

/** The same, with the source URLs from the command line and environment; for a job that reads Polygon the RPC pool starts first. */
export const layerSources = <E, R>(opts: SourceOptionValues, governor: Layer.Layer<Governor, E, R>, job?: Job<JobEnv>) =>
  layerJobEnv(Layer.effect(Sources, resolveSources(opts)), governor, job)
