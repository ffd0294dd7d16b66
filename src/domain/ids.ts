import { Schema } from "effect"

/** 20-byte address, always 40 lowercase hex digits (addresses can start with zeros; never parse as a number). */
export const Address = Schema.Lowercase.pipe(
  Schema.compose(Schema.String.pipe(Schema.pattern(/^0x[0-9a-f]{40}$/))),
  Schema.brand("Address")
)
export type Address = typeof Address.Type

/** 32-byte hash (tx hash, order hash, condition id, question id), lowercase. */
export const Bytes32 = Schema.Lowercase.pipe(
  Schema.compose(Schema.String.pipe(Schema.pattern(/^0x[0-9a-f]{64}$/))),
  Schema.brand("Bytes32")
)
export type Bytes32 = typeof Bytes32.Type

/** uint256 as a decimal string (token ids are 76 or 77 digits: never a JS number). "0" is collateral. */
export const Uint256 = Schema.String.pipe(Schema.pattern(/^(0|[1-9][0-9]{0,77})$/), Schema.brand("Uint256"))
export type Uint256 = typeof Uint256.Type

/** A job name: lowercase words joined by underscores. */
export const JobName = Schema.String.pipe(Schema.pattern(/^[a-z][a-z0-9_]{0,63}$/), Schema.brand("JobName"))
export type JobName = typeof JobName.Type

/** A unit key: market condition id, wallet address, a day, a page range. No quotes, spaces or backslashes. */
export const UnitKey = Schema.String.pipe(Schema.pattern(/^[A-Za-z0-9_:.\-]{1,200}$/), Schema.brand("UnitKey"))
export type UnitKey = typeof UnitKey.Type

/** A plain identifier for databases and tables. */
export const Identifier = Schema.String.pipe(Schema.pattern(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/), Schema.brand("Identifier"))
export type Identifier = typeof Identifier.Type

/** A calendar day, YYYY-MM-DD. */
export const IsoDay = Schema.String.pipe(Schema.pattern(/^\d{4}-\d{2}-\d{2}$/), Schema.brand("IsoDay"))
export type IsoDay = typeof IsoDay.Type

/** A run id: lowercase hex or uuid-like token. */
export const RunId = Schema.String.pipe(Schema.pattern(/^[0-9a-z-]{1,64}$/), Schema.brand("RunId"))
export type RunId = typeof RunId.Type
