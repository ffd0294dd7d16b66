import { readFileSync } from "node:fs"
import { Args, Command, Options } from "@effect/cli"
import { Config, Console, Effect, Layer, Option } from "effect"
import { blocksWithoutTimestamp, decodeLogs } from "../domain/chainLogs.js"
import { UsageError } from "../domain/errors.js"
import { DEFAULT_SOURCES, splitRpcUrls } from "../domain/settings.js"
import { TABLES } from "../domain/tables.js"
import { layerFixed } from "../layers/GovernorFixed.js"
import { PolygonRpc } from "../services/PolygonRpc.js"
import { Sources } from "../services/Sources.js"
import { logOptions, withLogging } from "./common.js"
import { layerJobEnv } from "./jobLayers.js"
import { kindsOption, resolveKinds } from "./onchainOptions.js"

const readInput = (file: Option.Option<string>): Effect.Effect<ReadonlyArray<unknown>, UsageError> =>
  Effect.gen(function* () {
    const where = Option.getOrElse(file, () => "standard input")
    const text = yield* Effect.try({
      try: () => readFileSync(Option.getOrElse(file, () => 0 as const), "utf8"),
      catch: (e) => new UsageError({ message: `cannot read ${where}: ${(e as Error).message.split("\n")[0]}` })
    })
    const json = yield* Effect.try({
      try: () => JSON.parse(text) as unknown,
      catch: () => new UsageError({ message: `${where} is not JSON: give one eth_getLogs log object or an array of them` })
    })
    return Array.isArray(json) ? json : [json]
  })

const rpcUrlsOf = (flags: ReadonlyArray<string>) =>
  Effect.map(Config.option(Config.string("RPC_URLS")).pipe(Effect.orElseSucceed(() => Option.none<string>())), (env) =>
    flags.length > 0 ? flags.flatMap(splitRpcUrls) : Option.match(env, { onNone: () => [], onSome: splitRpcUrls })
  )

/** Timestamps of the blocks whose logs do not carry one, from the chain when an RPC URL is given. */
const timestampsFor = (logs: ReadonlyArray<unknown>, rpcUrls: ReadonlyArray<string>) => {
  const blocks = blocksWithoutTimestamp(logs)
  if (blocks.length === 0 || rpcUrls.length === 0) return Effect.succeed(new Map<number, number>() as ReadonlyMap<number, number>)
  const sources = Layer.succeed(Sources, { ...DEFAULT_SOURCES, rpc: rpcUrls })
  return Effect.flatMap(PolygonRpc, (rpc) => rpc.blockTimestamps(blocks)).pipe(Effect.provide(layerJobEnv(sources, layerFixed(4))))
}

export const decodeLogCommand = Command.make(
  "decode-log",
  {
    file: Args.file({ name: "file", exists: "yes" }).pipe(Args.withDescription("a JSON file of eth_getLogs log objects (one object or an array); default: standard input"), Args.optional),
    kinds: kindsOption,
    rpcUrl: Options.text("rpc-url").pipe(
      Options.withPseudoName("URL"),
      Options.withDescription("Polygon JSON-RPC URL to read block timestamps for logs without `blockTimestamp` (env RPC_URLS)"),
      Options.repeated
    ),
    ...logOptions
  },
  (opts) =>
    Effect.gen(function* () {
      const logs = yield* readInput(opts.file)
      const kinds = yield* resolveKinds("onchain", opts.kinds)
      const rpcUrls = yield* rpcUrlsOf(opts.rpcUrl)
      const timestamps = yield* timestampsFor(logs, rpcUrls)
      const decoded = decodeLogs(logs, { kinds, tokens: new Map(), now: Math.floor(Date.now() / 1000), timestampOf: (b) => timestamps.get(b) })
      for (const r of decoded.rows) yield* Console.log(JSON.stringify({ table: r.table, ...r.row }))
      const hint = rpcUrls.length === 0 ? " (pass --rpc-url to read it from the chain)" : ""
      for (const q of decoded.quarantine) {
        const reason = q.reason.startsWith("no timestamp known") ? q.reason + hint : q.reason
        yield* Console.log(JSON.stringify({ table: TABLES.quarantine, source: "rpc", reason, raw: q.raw }))
      }
      for (const i of decoded.ignored) yield* Console.error(`log ${i.index}: not written: ${i.reason}`)
    }).pipe(withLogging(opts))
).pipe(
  Command.withDescription(
    "Print, as JSON lines, the rows the onchain job would write for eth_getLogs log objects (a file or stdin): check a transaction by hand. " +
      "condition_id stays empty here (the job looks it up in market_tokens)."
  )
)
