import { Schema } from "effect"
import { JobName, UnitKey } from "./ids.js"

/** The shape of an entry of STATEMENTS (src/domain/statements.ts) and the checks its SQL text relies on. */
interface StatementBase<Args extends ReadonlyArray<unknown>> {
  readonly name: string
  readonly sql: (...args: Args) => string
  /** Arguments the both-engine test calls `sql` with, against a migrated, empty database. */
  readonly example: Args
}

/** A SELECT (or EXISTS): its rows decode with `rows`. */
export interface QueryStatement<Args extends ReadonlyArray<unknown>, A> extends StatementBase<Args> {
  readonly rows: Schema.Schema<A, any>
}

/** A statement that returns nothing. */
export interface CommandStatement<Args extends ReadonlyArray<unknown>> extends StatementBase<Args> {
  readonly rows?: undefined
}

export type Statement<Args extends ReadonlyArray<unknown>, A = unknown> = QueryStatement<Args, A> | CommandStatement<Args>

export const query = <Args extends ReadonlyArray<unknown>, A>(s: QueryStatement<Args, A>): QueryStatement<Args, A> => s
export const command = <Args extends ReadonlyArray<unknown>>(s: CommandStatement<Args>): CommandStatement<Args> => s

/** 18.16 quotes 64-bit integers in JSON and current releases need not: both forms decode. */
export const CountN = Schema.Union(Schema.Number, Schema.NumberFromString)
export const N = CountN

export const jobName = (job: string): JobName => {
  if (!Schema.is(JobName)(job)) throw new Error(`invalid job name ${JSON.stringify(job)}`)
  return job
}
export const unitKey = (key: string): UnitKey => {
  if (!Schema.is(UnitKey)(key)) throw new Error(`invalid unit key ${JSON.stringify(key)}`)
  return key
}
const TABLE = /^[A-Za-z_][A-Za-z0-9_]*$/
export const tableName = (table: string): string => {
  if (!TABLE.test(table)) throw new Error(`invalid table name ${JSON.stringify(table)}`)
  return table
}
