import { ParseResult } from "effect"

/**
 * A decode failure as one short line naming the fields at fault ("clobTokenIds: ..."), for quarantine
 * reasons and error messages; the TreeFormatter's schema dump is too long to read in a table cell.
 */
export const decodeReason = (error: ParseResult.ParseError, max = 300): string => {
  const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
  const text = issues
    .slice(0, 3)
    .map((i) => `${i.path.length > 0 ? `${i.path.join(".")}: ` : ""}${i.message}`)
    .join("; ")
  return text.replace(/\s+/g, " ").slice(0, max)
}
