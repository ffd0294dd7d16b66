import { Context } from "effect"
import type { DataApiVersion } from "../domain/dataApi.js"

/** What `plan trades` and `run trades` were asked for; absent, the defaults below. */
export interface TradesSettingsApi {
  /** plan: the wallets with the most CLOB volume (undefined: none, when a wallets file is given). */
  readonly top: number | undefined
  /** plan: addresses from --wallets-file, valid lines only, in file order. */
  readonly wallets: ReadonlyArray<string>
  /** run: request bounds in epoch seconds (start inclusive, until exclusive). */
  readonly since: number | undefined
  readonly until: number | undefined
  readonly api: DataApiVersion
  /** run: pause before each wallet of a worker (the runbook's BACKFILL_SLEEP_MS). */
  readonly sleepMs: number
}

export const DEFAULT_TOP = 1000

export const DEFAULT_TRADES_SETTINGS: TradesSettingsApi = { top: DEFAULT_TOP, wallets: [], since: undefined, until: undefined, api: "v1", sleepMs: 0 }

export class TradesSettings extends Context.Tag("polybackfill/TradesSettings")<TradesSettings, TradesSettingsApi>() {}
