import { Option } from "effect"
import { redactUrl } from "../domain/redact.js"
import { DEFAULT_SOURCES, EMBEDDED_URL } from "../domain/settings.js"
import type { SourceName } from "../domain/sourceNames.js"
import { SOURCE_SETTINGS } from "../domain/sourceNames.js"
import type { ClickHouseOptionValues, SourceOptionValues } from "./common.js"
import { DEFAULT_STATE_DIR } from "./common.js"

/** What a suggested command must repeat to reach the same state: the parsed options of the command that suggests it. */
export interface SuggestFrom {
  readonly clickhouse: ClickHouseOptionValues
  readonly checkpoint?: "clickhouse" | "file"
  /** For a command that reads sources (run, plan): the URLs given, and the sources its job reads. */
  readonly sources?: { readonly urls: SourceOptionValues; readonly read: ReadonlyArray<SourceName> }
}

/** Single quotes for anything a shell would read otherwise (`***` of a redacted key among them). */
const shellWord = (value: string): string => (/^[A-Za-z0-9_./:@=,+-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`)

const printable = (url: string): string => (url.trim().toLowerCase() === EMBEDDED_URL ? url : redactUrl(url))

/**
 * `polybackfill <args>` with the non-default flags that select the same ClickHouse, database, state dir,
 * checkpoints and sources, so the command a person is told to run next reaches what this one did.
 * Passwords and RPC keys are redacted (`***`): the person puts them back, or keeps them in the environment.
 */
export const suggestCommand = (args: string, from: SuggestFrom): string => {
  const flags: Array<string> = []
  const add = (flag: string, value: string) => flags.push(flag, shellWord(value))
  Option.map(from.clickhouse.clickhouseUrl, (url) => add("--clickhouse-url", printable(url)))
  Option.map(from.clickhouse.database, (db) => add("--database", db))
  if (from.clickhouse.stateDir !== DEFAULT_STATE_DIR) add("--state-dir", from.clickhouse.stateDir)
  if (from.checkpoint === "file") add("--checkpoint", "file")
  for (const name of from.sources?.read ?? []) {
    const urls = from.sources!.urls
    const flag = SOURCE_SETTINGS[name].flag
    if (name === "rpc") for (const url of urls.rpcUrl) add(flag, printable(url))
    else {
      const url = name === "gamma" ? urls.gammaUrl : name === "goldsky" ? urls.goldskyUrl : urls.dataApiUrl
      if (url !== DEFAULT_SOURCES[name]) add(flag, printable(url))
    }
  }
  return ["polybackfill", args, ...flags].join(" ")
}
