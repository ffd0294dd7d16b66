import { Context } from "effect"
import type { PlanWindow } from "../domain/chainDays.js"
import type { ChainKind } from "../domain/chainEras.js"
import { CHAIN_KINDS } from "../domain/chainEras.js"
import { DEFAULT_SPAN, MAX_SPAN } from "../domain/logRange.js"

/** What `plan onchain` and `run onchain` were asked for; absent, the defaults below. */
export interface OnchainSettingsApi {
  readonly window: PlanWindow
  readonly kinds: ReadonlyArray<ChainKind>
  /** eth_getLogs span a day starts with, and the widest it grows to. */
  readonly initialSpan: number
  readonly maxSpan: number
}

export const DEFAULT_ONCHAIN_SETTINGS: OnchainSettingsApi = { window: { by: "default" }, kinds: CHAIN_KINDS, initialSpan: DEFAULT_SPAN, maxSpan: MAX_SPAN }

export class OnchainSettings extends Context.Tag("polybackfill/OnchainSettings")<OnchainSettings, OnchainSettingsApi>() {}
