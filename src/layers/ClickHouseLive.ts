import { randomUUID } from "node:crypto"
import { Readable } from "node:stream"
import type { ClickHouseClient } from "@clickhouse/client"
import { ClickHouseLogLevel, createClient } from "@clickhouse/client"
import { Effect, Layer, ParseResult, Redacted, Schema } from "effect"
import type { Scope } from "effect"
import { ClickHouseError } from "../domain/errors.js"
import type { JsonFragment } from "../domain/jsonRows.js"
import { encodeFragment } from "../domain/jsonRows.js"
import { redactUrl } from "../domain/redact.js"
import type { ClickHouseApi } from "../services/ClickHouse.js"
import { ClickHouse } from "../services/ClickHouse.js"
import type { ErrorContext, FirstAnswer } from "./clickHouseErrors.js"
import { checkFirstAnswer, toClickHouseError, unreachable } from "./clickHouseErrors.js"
import type { EmbeddedEngine } from "./EmbeddedClickHouse.js"
import { SERVER_SETTINGS, embeddedSessionStatements } from "./engineDifferences.js"

export interface ClickHouseConnection {
  /** http(s)://host:port, without credentials. */
  readonly url: string
  readonly username: string
  readonly password: Redacted.Redacted<string>
  readonly database: string
  /** The in-process engine: the client talks to it through this instead of HTTP (`url` is then only shown). */
  readonly embedded?: EmbeddedEngine
}

export interface ClickHouseLiveOptions {
  /** Create the database when missing (migrate does; other commands say "run migrate" instead). */
  readonly createDatabase?: boolean
  /** How long one request may take; long FINAL queries and big inserts need minutes. */
  readonly requestTimeoutMs?: number
}

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/
const DATABASE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/

/**
 * @clickhouse/client 1.23 sends no settings by default (only `database`, `query_id` and basic auth),
 * all of which 18.16 accepts; compression stays off so no `enable_http_compression` is sent either.
 * The only settings sent are those of engineDifferences.ts. Its own console logging is off: failures
 * reach users as one ClickHouseError line instead. The embedded engine is reached through the same
 * client, with chdb's connection in place of HTTP (`createClient({ connection })`).
 */
const makeClient = (conn: ClickHouseConnection, database: string | undefined, requestTimeoutMs: number): ClickHouseClient =>
  conn.embedded !== undefined
    ? createClient({ connection: conn.embedded.connect(), log: { level: ClickHouseLogLevel.OFF }, application: "polybackfill" })
    : createClient({
        url: conn.url,
        username: conn.username,
        password: Redacted.value(conn.password),
        ...(database === undefined ? {} : { database }),
        request_timeout: requestTimeoutMs,
        compression: { request: false, response: false },
        clickhouse_settings: SERVER_SETTINGS,
        log: { level: ClickHouseLogLevel.OFF },
        application: "polybackfill"
      })

const firstIssue = (error: ParseResult.ParseError): string => {
  const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
  if (issue === undefined) return "rows do not match the expected shape"
  const path = issue.path.length > 0 ? `row ${issue.path.join(".")}: ` : ""
  return `${path}${issue.message}`.split("\n")[0]!
}

/** The fragments as one JSONEachRow body, streamed piece by piece rather than joined into a copy. */
const COMMA = new Uint8Array([44])
function* bodyOf(fragments: ReadonlyArray<JsonFragment>): Generator<Uint8Array> {
  let first = true
  for (const f of fragments) {
    if (f.rows === 0) continue
    if (!first) yield COMMA
    first = false
    yield f.json
  }
}

/**
 * Runs one request with an AbortController: interrupting the fiber aborts the HTTP request and asks
 * the server to kill the query (18.16 keeps running a SELECT whose client went away).
 */
const request = <A>(
  client: ClickHouseClient,
  ctx: ErrorContext,
  run: (signal: AbortSignal, queryId: string) => Promise<A>
): Effect.Effect<A, ClickHouseError> =>
  Effect.async<A, ClickHouseError>((resume) => {
    const controller = new AbortController()
    const queryId = randomUUID()
    run(controller.signal, queryId).then(
      (a) => resume(Effect.succeed(a)),
      (e) => resume(Effect.fail(toClickHouseError(ctx, e)))
    )
    return Effect.suspend(() => {
      controller.abort()
      return Effect.tryPromise(() => client.command({ query: `KILL QUERY WHERE query_id = '${queryId}' ASYNC` })).pipe(
        Effect.timeout("2 seconds"),
        Effect.ignore
      )
    })
  })

/** The first query's answer whatever its status, so a server that is not ClickHouse can be told apart. */
const firstAnswer = (client: ClickHouseClient, ctx: ErrorContext): Effect.Effect<FirstAnswer, ClickHouseError> =>
  request(client, ctx, async (abort_signal, query_id) => {
    const result = await client.exec({ query: "SELECT 1", abort_signal, query_id, ignore_error_response: true })
    const chunks: Array<Buffer> = []
    let size = 0
    // Enough to read an error or tell a web page; the rest of a large page is read and dropped.
    for await (const chunk of result.stream as AsyncIterable<Buffer>) {
      if (size < 4096) chunks.push(chunk)
      size += chunk.length
    }
    return { status: result.http_status_code, headers: result.response_headers, body: Buffer.concat(chunks).toString("utf8") }
  })

const checkConnection = (client: ClickHouseClient, ctx: ErrorContext, embedded: boolean) =>
  (embedded
    ? request(client, ctx, (abort_signal) => client.command({ query: "SELECT 1", abort_signal }))
    : Effect.flatMap(firstAnswer(client, ctx), (answer) => {
        const refused = checkFirstAnswer(ctx, answer)
        return refused === undefined ? Effect.void : Effect.fail(refused)
      })
  ).pipe(Effect.timeoutFail({ duration: "15 seconds", onTimeout: () => unreachable(ctx, "no answer within 15s") }))

/** A client, checked; an embedded session is also given its settings and database (see engineDifferences.ts). */
const openClient = (conn: ClickHouseConnection, database: string | undefined, timeout: number, ctx: ErrorContext) =>
  Effect.gen(function* () {
    const client = yield* Effect.acquireRelease(
      Effect.try({
        try: () => makeClient(conn, database, timeout),
        catch: (e) => new ClickHouseError({ reason: "Unreachable", message: `cannot open ClickHouse at ${ctx.displayUrl}: ${String(e).split("\n")[0]}` })
      }),
      (c) => Effect.promise(() => c.close())
    )
    yield* checkConnection(client, ctx, conn.embedded !== undefined)
    if (conn.embedded !== undefined) {
      for (const query of embeddedSessionStatements(database)) {
        yield* request(client, ctx, (abort_signal) => client.command({ query, abort_signal }))
      }
    }
    return client
  })

/**
 * The ClickHouse port over @clickhouse/client, as a scoped resource: the client is closed when the
 * scope ends. Fails at acquisition with one line when the server is unreachable, the credentials are
 * wrong, or the database is missing (unless `createDatabase`).
 */
export const makeClickHouse = (
  conn: ClickHouseConnection,
  options: ClickHouseLiveOptions = {}
): Effect.Effect<ClickHouseApi, ClickHouseError, Scope.Scope> =>
  Effect.gen(function* () {
    // An embedded engine's "URL" is its directory, no secret in it (redactUrl would hide long path segments).
    const displayUrl = conn.embedded !== undefined ? conn.url : redactUrl(conn.url).replace(/\/$/, "")
    const ctx: ErrorContext = {
      displayUrl,
      username: conn.username,
      database: conn.database,
      secrets: [Redacted.value(conn.password)]
    }
    if (!DATABASE_NAME.test(conn.database)) {
      return yield* new ClickHouseError({ reason: "Query", message: `invalid database name "${conn.database}": use letters, digits and underscores` })
    }
    const timeout = options.requestTimeoutMs ?? 600_000
    if (options.createDatabase === true) {
      // The database-bound client cannot talk to the server at all until the database exists.
      const admin = yield* openClient(conn, undefined, timeout, ctx)
      yield* request(admin, ctx, (abort_signal) =>
        admin.command({ query: `CREATE DATABASE IF NOT EXISTS \`${conn.database}\``, abort_signal })
      )
    }
    const client = yield* openClient(conn, conn.database, timeout, ctx)

    const insertEncoded = (table: string, fragments: ReadonlyArray<JsonFragment>): Effect.Effect<void, ClickHouseError> => {
      if (fragments.every((f) => f.rows === 0)) return Effect.void
      if (!TABLE_NAME.test(table)) {
        return Effect.fail(new ClickHouseError({ reason: "Query", message: `refused table name "${table}": use letters, digits and underscores` }))
      }
      return request(client, ctx, async (abort_signal, query_id) => {
        const result = await client.exec({
          query: `INSERT INTO ${table} FORMAT JSONEachRow`,
          values: Readable.from(bodyOf(fragments)),
          abort_signal,
          query_id
        })
        // Read to the end rather than destroyed: a destroyed response takes its keep-alive socket with it.
        for await (const _ of result.stream) void _
      })
    }

    const api: ClickHouseApi = {
      displayUrl,
      database: conn.database,
      command: (sql) =>
        request(client, ctx, (abort_signal, query_id) => client.command({ query: sql, abort_signal, query_id })).pipe(
          Effect.asVoid
        ),
      query: <A, I>(sql: string, schema: Schema.Schema<A, I>) =>
        request(client, ctx, async (abort_signal, query_id) => {
          const result = await client.query({ query: sql, format: "JSONEachRow", abort_signal, query_id })
          return result.json<unknown>()
        }).pipe(
          Effect.flatMap((rows) => Schema.decodeUnknown(Schema.Array(schema))(rows)),
          Effect.catchTag("ParseError", (e) =>
            Effect.fail(new ClickHouseError({ reason: "Decode", message: `unexpected result from ClickHouse: ${firstIssue(e)}` }))
          )
        ),
      insert: (table, rows) => Effect.suspend(() => insertEncoded(table, rows.length === 0 ? [] : [encodeFragment(rows)])),
      insertEncoded
    }
    return api
  })

export const layerClickHouse = (
  conn: ClickHouseConnection,
  options: ClickHouseLiveOptions = {}
): Layer.Layer<ClickHouse, ClickHouseError> => Layer.scoped(ClickHouse, makeClickHouse(conn, options))
