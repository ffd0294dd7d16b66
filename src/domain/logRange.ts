/**
 * The block span of eth_getLogs requests inside a day, as TCP grows a window: doubled after each
 * answer until the provider first refuses a range (slow start), then narrowed to the range it suggests
 * (or its stated maximum, else half) and grown back by a quarter per answer, never below one block. A
 * quarter, not a doubling, once the cap is known: a doubling just under it would be refused every
 * other request.
 */

export const DEFAULT_SPAN = 1_000
export const MAX_SPAN = 100_000

export interface Refusal {
  readonly fromBlock: number
  readonly toBlock: number
  readonly suggestedToBlock?: number | undefined
  readonly maxRange?: number | undefined
}

/** The span to try after a refusal, or undefined when the range was one block already (nothing narrower exists). */
export const narrowedSpan = (refusal: Refusal): number | undefined => {
  const requested = refusal.toBlock - refusal.fromBlock + 1
  if (requested <= 1) return undefined
  const half = Math.floor(requested / 2)
  const suggested =
    refusal.suggestedToBlock !== undefined && refusal.suggestedToBlock >= refusal.fromBlock ? refusal.suggestedToBlock - refusal.fromBlock + 1 : undefined
  const candidate = suggested !== undefined && suggested < requested ? suggested : refusal.maxRange !== undefined && refusal.maxRange < requested ? refusal.maxRange : half
  return Math.max(1, candidate)
}

export const grownSpan = (span: number, capSeen: boolean, max = MAX_SPAN): number =>
  Math.min(max, capSeen ? Math.max(span + 1, Math.ceil(span * 1.25)) : span * 2)
