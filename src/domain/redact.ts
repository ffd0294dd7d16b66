/**
 * Secrets travel inside URLs (a ClickHouse password, an RPC provider key in the path or query).
 * Everything that prints a URL goes through `redactUrl`.
 */
const SECRET_QUERY_KEYS = /^(api[-_]?key|key|token|access[-_]?token|password|secret|auth)$/i
// Provider keys in paths: Alchemy /v2/<key>, Infura /v3/<key>, QuickNode /<token>/, long opaque segments.
const SECRET_PATH_SEGMENT = /^[A-Za-z0-9_-]{20,}$/

export const redactUrl = (raw: string): string => {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return "<invalid url>"
  }
  if (url.password !== "") url.password = "***"
  for (const key of [...url.searchParams.keys()]) {
    if (SECRET_QUERY_KEYS.test(key)) url.searchParams.set(key, "***")
  }
  url.pathname = url.pathname
    .split("/")
    .map((segment) => (SECRET_PATH_SEGMENT.test(segment) && !/^\d+$/.test(segment) ? "***" : segment))
    .join("/")
  return url.toString().replace(/%2A%2A%2A/g, "***")
}

/** Replaces every occurrence of the given secrets in free text (error messages from libraries). */
export const scrubSecrets = (text: string, secrets: ReadonlyArray<string>): string =>
  secrets.filter((s) => s.length > 0).reduce((acc, s) => acc.split(s).join("***"), text)
