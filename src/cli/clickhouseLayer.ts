import { Effect, Layer, Redacted } from "effect"
import type { ClickHouseError, UsageError } from "../domain/errors.js"
import { LocalClickHouseError } from "../domain/errors.js"
import { ClickHouse } from "../services/ClickHouse.js"
import type { ClickHouseLiveOptions } from "../layers/ClickHouseLive.js"
import { makeClickHouse } from "../layers/ClickHouseLive.js"
import { USE_A_SERVER, embeddedConnection, openEmbedded } from "../layers/EmbeddedClickHouse.js"
import { ensureLocalClickHouse } from "../layers/LocalClickHouse.js"
import { findServerBinary } from "../layers/localClickHouseConfig.js"
import type { ClickHouseOptionValues } from "./common.js"
import { resolveClickHouseTarget } from "./common.js"

export interface ClickHouseChoiceOptions extends ClickHouseLiveOptions {
  /** A feature that needs several processes on one ClickHouse (e.g. "--shard"): refused on the embedded engine. */
  readonly needsServerFor?: string | undefined
  /** Where to look for a server binary when no URL is configured (default: PATH, then the usual install directories). */
  readonly serverSearch?: { readonly pathEnv: string; readonly fixedDirs: ReadonlyArray<string> }
}

/** The embedded engine under --state-dir, as the ClickHouse port (same client code as a server). */
const embedded = (stateDir: string, database: string, options: ClickHouseChoiceOptions) =>
  Effect.gen(function* () {
    if (options.needsServerFor !== undefined) {
      return yield* new LocalClickHouseError({
        message: `${options.needsServerFor} needs a ClickHouse server that several processes share; the embedded one lives inside one process: ${USE_A_SERVER}`
      })
    }
    const engine = yield* openEmbedded(stateDir)
    return yield* makeClickHouse(embeddedConnection(engine, database), options)
  })

/**
 * The ClickHouse every command talks to: the configured server (flags, then CLICKHOUSE_*), the
 * embedded engine (`embedded` as the URL), or with nothing configured the local server polybackfill
 * manages under --state-dir when a server binary is installed, else the embedded engine.
 */
export const layerClickHouseFromOptions = (
  opts: ClickHouseOptionValues,
  options: ClickHouseChoiceOptions = {}
): Layer.Layer<ClickHouse, ClickHouseError | LocalClickHouseError | UsageError> =>
  Layer.scoped(
    ClickHouse,
    Effect.gen(function* () {
      const target = yield* resolveClickHouseTarget(opts)
      if (target._tag === "Remote") return yield* makeClickHouse(target, options)
      if (target._tag === "Embedded") return yield* embedded(opts.stateDir, target.database, options)
      const search = options.serverSearch
      const binary = search === undefined ? findServerBinary() : findServerBinary(search.pathEnv, search.fixedDirs)
      if (binary === undefined) {
        yield* Effect.logInfo(
          "ClickHouse: the embedded engine (no ClickHouse server installed; install one with \"polybackfill clickhouse install\", or set CLICKHOUSE_URL)"
        )
        return yield* embedded(opts.stateDir, target.database, options)
      }
      yield* Effect.logDebug(`ClickHouse: the managed local server (${binary.command} is installed; CLICKHOUSE_URL=embedded runs the engine in-process instead)`)
      const local = yield* ensureLocalClickHouse(opts.stateDir, { binary })
      yield* Effect.logDebug(`using the local ClickHouse at ${local.url} (pid ${local.pid})`)
      return yield* makeClickHouse(
        { url: local.url, username: "default", password: Redacted.make(""), database: target.database },
        options
      )
    })
  )
