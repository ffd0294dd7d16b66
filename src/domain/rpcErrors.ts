/**
 * What a JSON-RPC error object means for the caller. Providers answer with HTTP 200 and
 * `{ error: { code, message } }`; the code alone is ambiguous (-32602 is both "invalid params" and
 * Alchemy's response-size refusal, -32005 both Infura's result cap and its rate limit), so the message
 * decides. Real texts: polymarket-sources.md §4 "eth_getLogs limits by provider".
 */

export interface JsonRpcErrorObject {
  readonly code: number
  readonly message: string
}

export type RpcErrorClass =
  /** The range asked too much: split it. Never a fault of the URL. */
  | { readonly kind: "Range"; readonly suggestedToBlock?: number; readonly maxRange?: number }
  /** The provider's quota: slow down, try another URL. */
  | { readonly kind: "RateLimited" }
  /** The node had trouble (internal error, header not found on a lagging node, timeouts): another URL may answer. */
  | { readonly kind: "Transient" }
  /** A request the node will never accept (unknown method, malformed request). */
  | { readonly kind: "Fatal" }

/** The `error` member of a JSON-RPC answer, when it has one. */
export const jsonRpcErrorOf = (answer: unknown): JsonRpcErrorObject | undefined => {
  if (answer === null || typeof answer !== "object") return undefined
  const error = (answer as { error?: unknown }).error
  if (error === undefined || error === null) return undefined
  if (typeof error !== "object") return { code: 0, message: String(error) }
  const e = error as { code?: unknown; message?: unknown }
  return { code: typeof e.code === "number" ? e.code : 0, message: typeof e.message === "string" ? e.message : JSON.stringify(error) }
}

// Infura -32005 "... Try with this block range [0x1, 0x2]."; Alchemy "... this block range should work: [0x1, 0x2]".
const SUGGESTED_RANGE = /\[\s*(0x[0-9a-f]+|\d+)\s*,\s*(0x[0-9a-f]+|\d+)\s*\]/i
// Polygon public RPC "range: 99991, max: 3500"; Ankr-style "maximum block range: 1000".
const MAX_AFTER_WORD = /\bmax(?:imum)?(?: block range)?\s*(?:is|of|:|=)?\s*([\d,]+)/i
// Infura "range 1000000 exceeds limit of 10000".
const EXCEEDS_LIMIT = /exceeds? (?:the )?limit of ([\d,]+)/i
// Alchemy "up to a 2K block range", QuickNode "limited to a 10,000 range" / "10000 blocks range".
const UP_TO_RANGE = /(?:up to|limited to) an? ([\d,]+)(k?) (?:blocks? )?range/i

const RANGE_TEXT = [
  /query returned more than [\d,]+ results/i,
  /too many (?:results|logs)/i,
  /response size (?:exceeded|is larger|too (?:large|big))/i,
  /log response size/i,
  /block range (?:is )?too (?:large|wide|big)/i,
  /range (?:is )?too (?:large|wide)/i,
  /range \d+ exceeds limit/i,
  /exceed(?:s|ed)? (?:the )?max(?:imum)? (?:block )?range/i,
  /block range limit/i,
  /limited to an? [\d,]+k? (?:blocks? )?range/i,
  /returned more than [\d,]+ (?:logs|results)/i
]

const RATE_TEXT = /rate limit|too many requests|request rate|exceeded (?:the |your )?(?:daily |monthly )?(?:quota|capacity|credits|request count)|daily request count/i

const TRANSIENT_TEXT = /header not found|timeout|timed out|unavailable|try again|overloaded|busy|internal error|upstream/i

const numberOf = (text: string): number => (text.startsWith("0x") || text.startsWith("0X") ? Number.parseInt(text, 16) : Number(text.replace(/,/g, "")))

/** The range the message proposes and the largest span it states, when it states them. */
const rangeHints = (message: string): { suggestedToBlock?: number; maxRange?: number } => {
  const out: { suggestedToBlock?: number; maxRange?: number } = {}
  const suggested = SUGGESTED_RANGE.exec(message)
  if (suggested !== null) out.suggestedToBlock = numberOf(suggested[2]!)
  const upTo = UP_TO_RANGE.exec(message)
  const limit = EXCEEDS_LIMIT.exec(message)
  const max = MAX_AFTER_WORD.exec(message)
  if (upTo !== null) out.maxRange = numberOf(upTo[1]!) * (upTo[2] !== "" ? 1000 : 1)
  else if (limit !== null) out.maxRange = numberOf(limit[1]!)
  else if (max !== null) out.maxRange = numberOf(max[1]!)
  if (out.maxRange !== undefined && !(out.maxRange > 0)) delete out.maxRange
  if (out.suggestedToBlock !== undefined && !Number.isFinite(out.suggestedToBlock)) delete out.suggestedToBlock
  return out
}

/** Range refusals first (their codes overlap the others), then the code's family, then the text. */
export const classifyRpcError = (error: JsonRpcErrorObject): RpcErrorClass => {
  const { code, message } = error
  if (RANGE_TEXT.some((re) => re.test(message))) return { kind: "Range", ...rangeHints(message) }
  if (code === 429 || RATE_TEXT.test(message)) return { kind: "RateLimited" }
  // -32005 without a result count is Infura's "limit exceeded" (its quota).
  if (code === -32005) return { kind: "RateLimited" }
  if (code === -32603 || (code <= -32000 && code >= -32099)) return { kind: "Transient" }
  if (code === -32601 || code === -32600 || code === -32700 || code === -32602) return { kind: "Fatal" }
  return TRANSIENT_TEXT.test(message) ? { kind: "Transient" } : { kind: "Fatal" }
}
