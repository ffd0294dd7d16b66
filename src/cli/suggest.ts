import { Effect, Option } from "effect"
import { ClickHouseError, UsageError } from "../domain/errors.js"
import { redactUrl } from "../domain/redact.js"
import { DEFAULT_SOURCES, EMBEDDED_URL } from "../domain/settings.js"
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

// Which of those flags each suggested command takes (every one takes the ClickHouse flags).
const TAKES_CHECKPOINT = new Set(["run", "plan", "status"])
const TAKES_SOURCES = new Set(["run", "plan"])

/** Single quotes for anything a shell would read otherwise (`***` of a redacted key among them). */
const shellWord = (value: string): string => (/^[A-Za-z0-9_./:@=,+-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`)

const printable = (url: string): string => (url.trim().toLowerCase() === EMBEDDED_URL ? url : redactUrl(url))

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
  const command = args.split(" ")[0] ?? ""
  const flags: Array<string> = []
  const add = (flag: string, value: string) => flags.push(flag, shellWord(value))
  Option.map(from.clickhouse.clickhouseUrl, (url) => add("--clickhouse-url", printable(url)))
  Option.map(from.clickhouse.database, (db) => add("--database", db))
  if (from.clickhouse.stateDir !== DEFAULT_STATE_DIR) add("--state-dir", from.clickhouse.stateDir)
  if (from.checkpoint === "file" && TAKES_CHECKPOINT.has(command)) add("--checkpoint", "file")
  if (from.sources !== undefined && TAKES_SOURCES.has(command)) {
    for (const name of from.sources.read) for (const url of sourceUrls(name, from.sources.urls)) add(SOURCE_SETTINGS[name].flag, printable(url))
  }
  return ["polybackfill", args, ...flags].join(" ")
}

/** A command quoted in a message ("polybackfill migrate", `polybackfill plan fills`): what the layers below the CLI suggest. */
const QUOTED_COMMAND = /["`]polybackfill ((?:migrate|status|plan|run)(?: [a-z]+)?)["`]/g

/** The failure's own suggestions, with the flags of this command: a ClickHouse, usage or insert failure keeps its kind. */
export const withSuggestedFlags =
  (suggest: (args: string) => string) =>
  <A, E, R>(program: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.mapError(program, (e): E => {
      const rewrite = (message: string) => message.replace(QUOTED_COMMAND, (_, args: string) => `\`${suggest(args)}\``)
      if (e instanceof ClickHouseError) return new ClickHouseError({ reason: e.reason, message: rewrite(e.message) }) as E
      if (e instanceof UsageError) return new UsageError({ message: rewrite(e.message) }) as E
      if (e instanceof SinkStopped) return new SinkStopped({ error: e.error, message: rewrite(e.message) }) as E
      return e
    })
