import { Either, Schema } from "effect"
import { UnsafeSqlValue } from "./errors.js"
import { Address, Bytes32, Identifier, IsoDay, JobName, RunId, Uint256, UnitKey } from "./ids.js"

/**
 * The only values that may be spliced into SQL text: branded, Schema-validated domain values
 * (whose patterns exclude quotes and backslashes), finite integers and booleans. Everything else is
 * inserted as JSON rows, never as SQL text.
 */
export type SqlValue = Address | Bytes32 | Uint256 | JobName | UnitKey | IsoDay | RunId | number | bigint | boolean

const SafeString = Schema.Union(Address, Bytes32, Uint256, JobName, UnitKey, IsoDay, RunId)
const isSafeString = Schema.is(SafeString)

/** Quotes one value for SQL. Re-checks at run time, so a value forged with a cast is still refused. */
export const quote = (value: SqlValue): string => {
  switch (typeof value) {
    case "number":
      if (!Number.isSafeInteger(value)) throw new UnsafeSqlValue({ kind: "number", message: `refused non-integer SQL value ${value}` })
      return String(value)
    case "bigint":
      return value.toString()
    case "boolean":
      return value ? "1" : "0"
    default:
      if (!isSafeString(value)) {
        throw new UnsafeSqlValue({ kind: "string", message: "refused a string that is not a validated domain value" })
      }
      return `'${value}'`
  }
}

/** Quotes an identifier (database or table name). */
export const ident = (name: Identifier): string => {
  if (!Schema.is(Identifier)(name)) throw new UnsafeSqlValue({ kind: "identifier", message: `refused identifier` })
  return `\`${name}\``
}

/** Validates untrusted input as a safe SQL value: Left with a one-line reason when it is not one. */
export const toSqlValue = (raw: unknown): Either.Either<SqlValue, UnsafeSqlValue> =>
  typeof raw === "number" && Number.isSafeInteger(raw)
    ? Either.right(raw)
    : isSafeString(raw)
      ? Either.right(raw)
      : Either.left(new UnsafeSqlValue({ kind: typeof raw, message: "refused a value that is not a validated id, day, key or integer" }))

/** A template tag: sql`SELECT * FROM t WHERE job = ${job}` quotes every interpolation with `quote`. */
export const sql = (strings: TemplateStringsArray, ...values: ReadonlyArray<SqlValue | SqlValue[]>): string =>
  strings.reduce((acc, part, i) => {
    if (i === 0) return part
    const v = values[i - 1]!
    return acc + (Array.isArray(v) ? `(${v.map(quote).join(", ")})` : quote(v)) + part
  }, "")
