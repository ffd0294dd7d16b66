import { Layer } from "effect"
import { layerJobEnv } from "../../src/cli/jobLayers.js"
import { layerFixed } from "../../src/layers/GovernorFixed.js"
import { layerSilent } from "../../src/layers/ProgressLive.js"
import { layerClickHouse as layerRowSink } from "../../src/layers/RowSinkClickHouse.js"
import { layerClickHouse as layerUnits } from "../../src/layers/UnitStoreClickHouse.js"
import type { ClickHouseApi } from "../../src/services/ClickHouse.js"
import { ClickHouse } from "../../src/services/ClickHouse.js"
import { Sources } from "../../src/services/Sources.js"
import type { SimulatorHandle } from "../../src/simulator/index.js"
import { simulatorSources } from "../../src/simulator/index.js"

/**
 * What `runJob` needs against a simulator and a real ClickHouse (migrated first: the unit store checks
 * for its table): units and rows in ClickHouse, silent progress, the live sources under a fixed governor.
 */
export const layerRunOnSimulator = (sim: SimulatorHandle, clickhouse: ClickHouseApi, workers: number) =>
  Layer.mergeAll(layerUnits, layerRowSink, layerSilent, layerJobEnv(Layer.succeed(Sources, simulatorSources(sim)), layerFixed(workers))).pipe(
    Layer.provideMerge(Layer.succeed(ClickHouse, clickhouse))
  )
