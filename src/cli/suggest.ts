import { Effect, Option } from "effect"
import { ClickHouseError, LocalClickHouseError, UsageError } from "../domain/errors.js"
import { redactUrl } from "../domain/redact.js"
import { DEFAULT_SOURCES, isEmbeddedUrl } from "../domain/settings.js"
import { SinkStopped } from "../streams/sink.js"
import type { SourceName } from "../domain/sourceNames.js"
import { SOURCE_SETTINGS } from "../domain/sourceNames.js"
import type { ClickHouseOptionValues, SourceOptionValues } from "./common.js"
import { DEFAULT_STATE_DIR } from "./common.js"

/** What a suggested command must repeat to reach the same state: the parsed options of the command that suggests it. */
export interface SuggestFrom {
  readonly clickhouse: ClickHouseOptionValues
  readonly checkpoint?: "clickhouse" | "file"
  /** The source URLs given, and the sources the job reads. */
  readonly sources?: { readonly urls: SourceOptionValues; readonly read: ReadonlyArray<SourceName> }
}

// Which of those flags each suggested command takes: `clickhouse start|stop|status` only --state-dir,
// `clickhouse install` none, every other command the ClickHouse flags.
const TAKES_CHECKPOINT = new Set(["run", "plan", "status", "reset"])
const TAKES_SOURCES = new Set(["run", "plan"])

/** Single quotes for anything a shell would read otherwise (`***` of a redacted key among them). */
const shellWord = (value: string): string => (/^[A-Za-z0-9_./:@=,+-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`)

const printable = (url: string): string => (isEmbeddedUrl(url) ? url : redactUrl(url))

const sourceUrls = (name: SourceName, urls: SourceOptionValues): ReadonlyArray<string> => {
  if (name === "rpc") return urls.rpcUrl
  const url = name === "gamma" ? urls.gammaUrl : name === "goldsky" ? urls.goldskyUrl : urls.dataApiUrl
  return url === DEFAULT_SOURCES[name] ? [] : [url]
}

/**
 * `polybackfill <args>` with the non-default flags that select the same ClickHouse, database, state dir,
 * checkpoints and sources (those the command takes), so the command a person is told to run next reaches
 * what this one did. Passwords and RPC keys are redacted (`***`): the person puts them back, or keeps
 * them in the environment.
 */
export const suggestCommand = (args: string, from: SuggestFrom): string => {
  const [command = "", sub = ""] = args.split(" ")
  const takesTarget = command !== "clickhouse"
  const takesStateDir = !(command === "clickhouse" && sub === "install")
  const flags: Array<string> = []
  // A flag the suggestion already names keeps the value it names.
  const add = (flag: string, value: string) => {
    if (!` ${args} `.includes(` ${flag} `)) flags.push(flag, shellWord(value))
  }
  if (takesTarget) Option.map(from.clickhouse.clickhouseUrl, (url) => add("--clickhouse-url", printable(url)))
  if (takesTarget) Option.map(from.clickhouse.database, (db) => add("--database", db))
  if (takesStateDir && from.clickhouse.stateDir !== DEFAULT_STATE_DIR) add("--state-dir", from.clickhouse.stateDir)
  if (from.checkpoint === "file" && TAKES_CHECKPOINT.has(command)) add("--checkpoint", "file")
  if (from.sources !== undefined && TAKES_SOURCES.has(command)) {
    for (const name of from.sources.read) for (const url of sourceUrls(name, from.sources.urls)) add(SOURCE_SETTINGS[name].flag, printable(url))
  }
  return ["polybackfill", args, ...flags].join(" ")
}

/** A command quoted in a message ("polybackfill migrate", `polybackfill plan fills --rebuild`). */
const QUOTED_COMMAND = /(["`])polybackfill ([^"`]+)\1/g

/** `text` with every command it quotes as `suggest` writes it: with the flags of the command that prints it. */
export const withFlagsIn =
  (suggest: (args: string) => string) =>
  (text: string): string =>
    text.replace(QUOTED_COMMAND, (_, _quote: string, args: string) => `\`${suggest(args)}\``)

/** The same suggestion function for a command that reads no source: its ClickHouse (and checkpoint) flags. */
export const suggestWith = (clickhouse: ClickHouseOptionValues, checkpoint?: "clickhouse" | "file") => (args: string): string =>
  suggestCommand(args, checkpoint === undefined ? { clickhouse } : { clickhouse, checkpoint })

/** `polybackfill clickhouse <verb>` for the managed server under `stateDir`. */
export const suggestClickHouse = (verb: string, stateDir: string): string =>
  suggestCommand(`clickhouse ${verb}`, { clickhouse: { clickhouseUrl: Option.none(), database: Option.none(), stateDir } })

/** The failure's own suggestions, with the flags of this command: a ClickHouse, usage or insert failure keeps its kind. */
export const withSuggestedFlags =
  (suggest: (args: string) => string) =>
  <A, E, R>(program: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.mapError(program, (e): E => {
      const rewrite = withFlagsIn(suggest)
      if (e instanceof ClickHouseError) return new ClickHouseError({ reason: e.reason, message: rewrite(e.message) }) as E
      if (e instanceof UsageError) return new UsageError({ message: rewrite(e.message) }) as E
      if (e instanceof LocalClickHouseError) return new LocalClickHouseError({ message: rewrite(e.message) }) as E
      if (e instanceof SinkStopped) return new SinkStopped({ error: e.error, message: rewrite(e.message) }) as E
      return e
    })
