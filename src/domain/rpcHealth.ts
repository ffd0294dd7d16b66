/** One RPC URL's health as the progress line shows it: host (redacted URL), limit, latency, share, set aside. */
export interface UrlHealth {
  readonly url: string
  readonly limit: number
  readonly latencyMs: number
  readonly share: number
  readonly failures: number
  readonly setAside: boolean
}

const hostOf = (url: string): string => {
  try {
    return new URL(url).host
  } catch {
    return url
  }
}

/** `rpc a.example 32·80ms·61% | b.example set aside (12 failures)`: short enough for a progress line. */
export const formatRpcHealth = (urls: ReadonlyArray<UrlHealth>): string =>
  "rpc " +
  urls
    .map((u) =>
      u.setAside
        ? `${hostOf(u.url)} set aside (${u.failures} failures)`
        : `${hostOf(u.url)} ${u.limit}·${Math.round(u.latencyMs)}ms·${Math.round(u.share * 100)}%`
    )
    .join(" | ")
