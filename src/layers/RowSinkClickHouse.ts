import { Effect, Layer } from "effect"
import { ClickHouse } from "../services/ClickHouse.js"
import { RowSink } from "../services/RowSink.js"

/** Rows go to ClickHouse as JSONEachRow inserts, sent as encoded; one call, one insert. */
export const layerClickHouse: Layer.Layer<RowSink, never, ClickHouse> = Layer.effect(
  RowSink,
  Effect.map(ClickHouse, (clickhouse) => ({ insert: clickhouse.insertEncoded }))
)
