import { Effect, Layer, Redacted } from "effect"
import type { ClickHouseError, UsageError } from "../domain/errors.js"
import { LocalClickHouseError } from "../domain/errors.js"
import { ClickHouse } from "../services/ClickHouse.js"
import type { ClickHouseLiveOptions } from "../layers/ClickHouseLive.js"
import { makeClickHouse } from "../layers/ClickHouseLive.js"
import { USE_A_SERVER, embeddedConnection, openEmbedded } from "../layers/EmbeddedClickHouse.js"
import type { LocalServer } from "../layers/LocalClickHouse.js"
import { ensureLocalClickHouse, localClickHouseStatus } from "../layers/LocalClickHouse.js"
import type { ServerBinary } from "../layers/localClickHouseConfig.js"
import { findServerBinary } from "../layers/localClickHouseConfig.js"
import type { ClickHouseOptionValues } from "./common.js"
import { resolveClickHouseTarget } from "./common.js"
import { suggestClickHouse } from "./suggest.js"

export interface ClickHouseChoiceOptions extends ClickHouseLiveOptions {
  /** A feature that needs several processes on one ClickHouse (e.g. "--shard"): refused on the embedded engine. */
  readonly needsServerFor?: string | undefined
  /** Where to look for a server binary when no URL is configured (default: PATH, then the usual install directories). */
  readonly serverSearch?: { readonly pathEnv: string; readonly fixedDirs: ReadonlyArray<string> }
  /** A command that only reads (status): uses the managed server when it runs, never starts one. */
  readonly readOnly?: boolean
}

/** `polybackfill clickhouse <verb>` for the server under `stateDir`. */
const managing = (verb: string, stateDir: string): string => `\`${suggestClickHouse(verb, stateDir)}\``

/** Why a read-only command stops when the managed server is not running here. */
export const notRunningMessage = (stateDir: string): string =>
  `the local ClickHouse under ${stateDir} is not running, and this command only reads, so it does not start one: ` +
  `start it with ${managing("start", stateDir)}, or set CLICKHOUSE_URL to a server of yours`

/** A managed server that runs but does not answer: killing it could break a command using it, so the operator decides. */
export const notAnsweringMessage = (s: { readonly pid: number; readonly url: string; readonly errorLog: string }, stateDir: string): string =>
  `the local ClickHouse (pid ${s.pid}) runs but does not answer ${s.url}/ping: see ${s.errorLog}, or restart it with ${managing("stop", stateDir)}`

/** The one line a command says when it started the managed server: it outlives the command. */
export const startedMessage = (server: LocalServer, stateDir: string): string =>
  `started the local ClickHouse (pid ${server.pid}, data in ${server.dataDir}, HTTP port ${server.httpPort}, native port ${server.tcpPort}); ` +
  `it keeps running after this command: stop it with ${managing("stop", stateDir)}`

/** The managed server when it runs; a read-only command never starts it. */
const runningLocal = (stateDir: string) =>
  Effect.flatMap(localClickHouseStatus(stateDir), (s) =>
    s._tag === "Running"
      ? Effect.succeed(s.url)
      : Effect.fail(
          new LocalClickHouseError({
            message: s._tag === "NotRunning" ? notRunningMessage(stateDir) : notAnsweringMessage(s, stateDir)
          })
        )
  )

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

const startingLocal = (stateDir: string, binary: ServerBinary) =>
  Effect.gen(function* () {
    const local = yield* ensureLocalClickHouse(stateDir, { binary })
    if (local.reused) yield* Effect.logDebug(`using the local ClickHouse at ${local.url} (pid ${local.pid})`)
    else yield* Effect.logInfo(startedMessage(local, stateDir))
    return local.url
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
      const url = options.readOnly === true ? yield* runningLocal(opts.stateDir) : yield* startingLocal(opts.stateDir, binary)
      return yield* makeClickHouse(
        { url, username: "default", password: Redacted.make(""), database: target.database },
        options
      )
    })
  )
