import { SourceError, isRetryable } from "../../domain/errors.js"
import { classifyRpcError, jsonRpcErrorOf } from "../../domain/rpcErrors.js"
import type { Member } from "./members.js"

/** The provider's text, one line, with the raw URL (it may hold the key) replaced by its redacted form. */
export const providerText = (message: string, m: Member) => message.split(m.url).join(m.where).replace(/\s+/g, " ").slice(0, 240)

/**
 * JSON-RPC errors arrive with HTTP 200: the `check` hook of request.ts turns them into SourceErrors so
 * the governor learns from them and the pool moves retryable ones. A range refusal passes through as an
 * answer when `rangeIsAnswer` (eth_getLogs turns it into a LogRangeError: not the URL's fault).
 */
export const checkRpc =
  (m: Member, rangeIsAnswer: boolean) =>
  (json: unknown, where: string, host: string): SourceError | undefined => {
    const errors = Array.isArray(json) ? json.map(jsonRpcErrorOf).filter((e) => e !== undefined) : [jsonRpcErrorOf(json)].filter((e) => e !== undefined)
    const refused = errors.map((error) => {
      const kind = classifyRpcError(error).kind
      if (kind === "Range" && rangeIsAnswer) return undefined
      const reason = kind === "RateLimited" ? "RateLimited" : kind === "Transient" ? "Transient" : "Fatal"
      return new SourceError({ reason, host, message: `${where} answered JSON-RPC error ${error.code}: ${providerText(error.message, m)}` })
    })
    // In a batch, a retryable error decides: another URL may answer every call.
    return refused.find((e) => e !== undefined && isRetryable(e)) ?? refused.find((e) => e !== undefined)
  }

export const decodeError = (m: Member, what: string) =>
  new SourceError({ reason: "Decode", host: m.host, message: `${m.where} did not answer ${what} in JSON-RPC's shape` })
