import { Options } from "@effect/cli"
import { Config, Effect, Option } from "effect"
import { UsageError } from "../domain/errors.js"
import type { ClickHouseEnv, ClickHouseTarget, SourceUrls } from "../domain/settings.js"
import { DEFAULT_SOURCES, resolveClickHouse, splitRpcUrls } from "../domain/settings.js"
import type { LogFormat } from "../layers/Logging.js"
import { layerLogging } from "../layers/Logging.js"

export const DEFAULT_STATE_DIR = "./.polybackfill"

/** Options every command that touches ClickHouse takes. Env fallbacks use the runbooks' names. */
export const clickhouseOptions = {
  clickhouseUrl: Options.text("clickhouse-url").pipe(
    Options.withPseudoName("URL"),
    Options.withDescription("ClickHouse HTTP URL, e.g. http://user:pass@host:8123 (env CLICKHOUSE_URL, or CLICKHOUSE_HOST/PORT/USER/PASSWORD); unset: the local server polybackfill manages"),
    Options.optional
  ),
  database: Options.text("database").pipe(
    Options.withPseudoName("NAME"),
    Options.withDescription("ClickHouse database (env CLICKHOUSE_DATABASE, default polymarket)"),
    Options.optional
  ),
  stateDir: Options.directory("state-dir").pipe(
    Options.withPseudoName("DIR"),
    Options.withDescription("local state: the managed ClickHouse, file checkpoints, logs (env POLYBACKFILL_STATE_DIR, default ./.polybackfill)"),
    Options.withFallbackConfig(Config.string("POLYBACKFILL_STATE_DIR")),
    Options.withDefault(DEFAULT_STATE_DIR)
  )
} as const

export const logOptions = {
  logFormat: Options.choice("log-format", ["pretty", "json", "logfmt"] as const).pipe(
    Options.withDescription("log line format (default: pretty on a terminal, logfmt otherwise)"),
    Options.optional
  ),
  logFile: Options.file("log-file").pipe(
    Options.withPseudoName("FILE"),
    Options.withDescription("also append every log line to this file"),
    Options.optional
  )
} as const

export const sourceOptions = {
  gammaUrl: Options.text("gamma-url").pipe(
    Options.withPseudoName("URL"),
    Options.withDescription(`Gamma API base URL (env GAMMA_URL, default ${DEFAULT_SOURCES.gamma})`),
    Options.withFallbackConfig(Config.string("GAMMA_URL")),
    Options.withDefault(DEFAULT_SOURCES.gamma)
  ),
  dataApiUrl: Options.text("data-api-url").pipe(
    Options.withPseudoName("URL"),
    Options.withDescription(`Data-API base URL (env DATA_API_URL, default ${DEFAULT_SOURCES.dataApi})`),
    Options.withFallbackConfig(Config.string("DATA_API_URL")),
    Options.withDefault(DEFAULT_SOURCES.dataApi)
  ),
  goldskyUrl: Options.text("goldsky-url").pipe(
    Options.withPseudoName("URL"),
    Options.withDescription("Goldsky orderbook subgraph URL (env GOLDSKY_URL, default the public orderbook subgraph)"),
    Options.withFallbackConfig(Config.string("GOLDSKY_URL")),
    Options.withDefault(DEFAULT_SOURCES.goldsky)
  ),
  rpcUrl: Options.text("rpc-url").pipe(
    Options.withPseudoName("URL"),
    Options.withDescription(
      `Polygon JSON-RPC URL (env RPC_URLS or ETHEREUM_RPC_URLS, comma-separated; default ${DEFAULT_SOURCES.rpc.join(",")})`
    ),
    Options.repeated
  )
} as const

export interface ClickHouseOptionValues {
  readonly clickhouseUrl: Option.Option<string>
  readonly database: Option.Option<string>
  readonly stateDir: string
}

export interface LogOptionValues {
  readonly logFormat: Option.Option<LogFormat>
  readonly logFile: Option.Option<string>
}

/** The runbooks' environment variables for ClickHouse. */
export const clickHouseEnvConfig: Config.Config<ClickHouseEnv> = Config.all({
  url: Config.option(Config.string("CLICKHOUSE_URL")),
  host: Config.option(Config.string("CLICKHOUSE_HOST")),
  port: Config.option(Config.integer("CLICKHOUSE_PORT")),
  user: Config.option(Config.string("CLICKHOUSE_USER")),
  password: Config.option(Config.redacted("CLICKHOUSE_PASSWORD")),
  database: Config.option(Config.string("CLICKHOUSE_DATABASE"))
})

/** Flags over environment; a bad value becomes a one-line UsageError. */
export const resolveClickHouseTarget = (opts: ClickHouseOptionValues): Effect.Effect<ClickHouseTarget, UsageError> =>
  Effect.gen(function* () {
    const env = yield* Effect.mapError(
      clickHouseEnvConfig,
      (e) => new UsageError({ message: `invalid ClickHouse environment: ${String(e).split("\n")[0]} (check CLICKHOUSE_PORT is a number)` })
    )
    const resolved = resolveClickHouse({ url: opts.clickhouseUrl, database: opts.database }, env)
    return resolved instanceof UsageError ? yield* resolved : resolved
  })

export interface SourceOptionValues {
  readonly gammaUrl: string
  readonly dataApiUrl: string
  readonly goldskyUrl: string
  readonly rpcUrl: ReadonlyArray<string>
}

export const resolveSources = (opts: SourceOptionValues): Effect.Effect<SourceUrls> =>
  Effect.gen(function* () {
    const envOf = (name: string) => Config.string(name).pipe(Config.option, Effect.orElseSucceed(() => Option.none<string>()))
    // ETHEREUM_RPC_URLS is the on-chain runbook's name for the same list.
    const runbookRpc = yield* envOf("ETHEREUM_RPC_URLS")
    const envRpc = Option.orElse(yield* envOf("RPC_URLS"), () => runbookRpc)
    const rpc =
      opts.rpcUrl.length > 0
        ? opts.rpcUrl.flatMap(splitRpcUrls)
        : Option.match(envRpc, { onNone: () => [...DEFAULT_SOURCES.rpc], onSome: splitRpcUrls })
    return { gamma: opts.gammaUrl, dataApi: opts.dataApiUrl, goldsky: opts.goldskyUrl, rpc }
  })

/** Every command runs its program through this, so --log-format and --log-file apply everywhere. */
export const withLogging =
  (opts: LogOptionValues) =>
  <A, E, R>(program: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.provide(program, layerLogging({ format: opts.logFormat, file: opts.logFile }))
