/** A plain answer of a simulated endpoint; server.ts turns it into an HTTP response (or a fault). */
export interface SimResponse {
  readonly status: number
  readonly contentType: string
  readonly body: string
  readonly headers?: Readonly<Record<string, string>>
}

/** What a handler sees of a request. */
export interface SimRequest {
  readonly method: string
  /** Path inside the API (after the family prefix), e.g. "/markets/keyset". */
  readonly path: string
  readonly query: URLSearchParams
  readonly body: string
  /** The server decided this page should carry a row that violates the schema. */
  readonly malformed: boolean
  /** A per-request random draw in [0, 1) for the malformed row's choice. */
  readonly draw: number
  /** Epoch milliseconds from the server's Clock. */
  readonly nowMs: number
  readonly traceId: string
}

export const json = (status: number, value: unknown, headers?: Record<string, string>): SimResponse =>
  headers === undefined
    ? { status, contentType: "application/json", body: JSON.stringify(value) }
    : { status, contentType: "application/json", body: JSON.stringify(value), headers }

export const text = (status: number, body: string, contentType = "text/plain"): SimResponse => ({ status, contentType, body })

/** Cloudflare's answer when a client is over the limit (Gamma, Data-API v1). */
export const cloudflareHtml = (status: number, title: string, rayId: string): string =>
  `<!DOCTYPE html>
<html lang="en-US"><head><title>${title} | gamma-api.polymarket.com | Cloudflare</title></head>
<body><div id="cf-wrapper"><h1><span class="cf-error-type">Error</span> <span class="cf-error-code">${status}</span></h1>
<h2 class="cf-subheadline">${title}</h2>
<p>Cloudflare Ray ID: <strong class="font-semibold">${rayId}</strong></p></div></body></html>
`

/** Parses a non-negative integer query parameter; undefined when absent, NaN when malformed. */
export const intParam = (query: URLSearchParams, name: string): number | undefined => {
  const v = query.get(name)
  if (v === null || v === "") return undefined
  return /^\d+$/.test(v) ? Number(v) : Number.NaN
}

export const boolParam = (query: URLSearchParams, name: string): boolean | undefined => {
  const v = query.get(name)
  if (v === null || v === "") return undefined
  if (v === "true" || v === "1") return true
  if (v === "false" || v === "0") return false
  return undefined
}
