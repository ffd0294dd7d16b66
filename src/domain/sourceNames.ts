/** The remote sources, keyed as in SourceUrls: how a person names each and where its URL is set. */
export type SourceName = "gamma" | "dataApi" | "goldsky" | "rpc"

export interface SourceSetting {
  readonly label: string
  readonly flag: string
  readonly env: string
}

export const SOURCE_SETTINGS: Readonly<Record<SourceName, SourceSetting>> = {
  gamma: { label: "the Gamma API", flag: "--gamma-url", env: "GAMMA_URL" },
  dataApi: { label: "the Data-API", flag: "--data-api-url", env: "DATA_API_URL" },
  goldsky: { label: "the Goldsky orderbook subgraph", flag: "--goldsky-url", env: "GOLDSKY_URL" },
  rpc: { label: "the Polygon RPC", flag: "--rpc-url", env: "RPC_URLS or ETHEREUM_RPC_URLS" }
}

/** "check --goldsky-url (env GOLDSKY_URL)": the end of a line about a source that is not there. */
export const whereToFix = (source: SourceName): string => {
  const s = SOURCE_SETTINGS[source]
  return `check ${s.flag} (env ${s.env})`
}
