import { Effect, Layer, Redacted } from "effect"
import type { ClickHouseError, LocalClickHouseError, UsageError } from "../domain/errors.js"
import { ClickHouse } from "../services/ClickHouse.js"
import type { ClickHouseLiveOptions } from "../layers/ClickHouseLive.js"
import { makeClickHouse } from "../layers/ClickHouseLive.js"
import { ensureLocalClickHouse } from "../layers/LocalClickHouse.js"
import type { ClickHouseOptionValues } from "./common.js"
import { resolveClickHouseTarget } from "./common.js"

/**
 * The ClickHouse every command talks to: the configured server (flags, then CLICKHOUSE_*), or the
 * local one polybackfill manages under --state-dir, started when it is not running yet.
 */
export const layerClickHouseFromOptions = (
  opts: ClickHouseOptionValues,
  options: ClickHouseLiveOptions = {}
): Layer.Layer<ClickHouse, ClickHouseError | LocalClickHouseError | UsageError> =>
  Layer.scoped(
    ClickHouse,
    Effect.gen(function* () {
      const target = yield* resolveClickHouseTarget(opts)
      if (target._tag === "Remote") return yield* makeClickHouse(target, options)
      const local = yield* ensureLocalClickHouse(opts.stateDir)
      yield* Effect.logDebug(`using the local ClickHouse at ${local.url} (pid ${local.pid})`)
      return yield* makeClickHouse(
        { url: local.url, username: "default", password: Redacted.make(""), database: target.database },
        options
      )
    })
  )
