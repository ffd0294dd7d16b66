import { createServer as createHttpServer } from "node:http"
import type { AddressInfo, Server, Socket } from "node:net"
import { createServer as createTcpServer } from "node:net"
import { describe, expect, it, layer } from "@effect/vitest"
import { Effect, Either, Exit, Fiber, Redacted, Schedule, Schema, TestServices } from "effect"
import { UnsafeSqlValue } from "../../src/domain/errors.js"
import { Bytes32 } from "../../src/domain/ids.js"
import type { SqlValue } from "../../src/domain/sql.js"
import { sql, toSqlValue } from "../../src/domain/sql.js"
import type { ClobFillRow } from "../../src/domain/tables.js"
import { makeClickHouse } from "../../src/layers/ClickHouseLive.js"
import { MIGRATIONS } from "../../src/layers/migrations/index.js"
import { ClickHouse } from "../../src/services/ClickHouse.js"
import { migrate } from "../../src/streams/migrate.js"
import { dropDatabase, freshDatabaseName, layerTestClickHouse, testConnection } from "../support/clickhouse.js"

const TX = "0x" + "ab".repeat(32)
const ORDER = "0x" + "cd".repeat(32)
const fill = (overrides: Partial<ClobFillRow> = {}): ClobFillRow => ({
  fill_id: `${TX}_${ORDER}`,
  tx_hash: TX,
  order_hash: ORDER,
  log_index: -1,
  block_number: 0,
  timestamp: 1_700_000_000,
  exchange: "",
  era: "v1",
  maker: "0x" + "11".repeat(20),
  taker: "0x" + "22".repeat(20),
  maker_asset_id: "0",
  taker_asset_id: "52114319501245915516055106046884209969926127482827954674443846427813813222426",
  maker_amount_filled: "18446744073709551615",
  taker_amount_filled: "2000000",
  fee: "0",
  fee_asset: "token",
  fee_shares: 0,
  fee_usdc: 0,
  builder: "",
  metadata: "",
  wallet: "0x" + "11".repeat(20),
  side: "BUY",
  token_id: "52114319501245915516055106046884209969926127482827954674443846427813813222426",
  condition_id: "",
  outcome_index: -1,
  price: 0.5,
  size: 2,
  usdc: 1,
  is_taker_leg: 0,
  source: "goldsky",
  ingested_at: 1_700_000_100,
  ...overrides
})
const rowsOf = (rows: ReadonlyArray<object>) => rows as unknown as ReadonlyArray<Record<string, unknown>>

/** ClickHouse 18.16 quotes 64-bit integers in JSON; current releases do too by default. */
const UInt64 = Schema.Union(Schema.Number, Schema.NumberFromString)
const Count = Schema.Struct({ n: UInt64 })

layer(layerTestClickHouse("live"))("the ClickHouse service against a real server", (it) => {
  it.effect("migrates, then the same fill inserted twice reads back as one row with FINAL", () =>
    Effect.gen(function* () {
      const clickhouse = yield* ClickHouse
      yield* migrate(MIGRATIONS, () => Effect.void)
      yield* clickhouse.insert("clob_fills", rowsOf([fill()]))
      yield* clickhouse.insert("clob_fills", rowsOf([fill({ ingested_at: 1_700_000_200, price: 0.51 })]))

      const raw = yield* clickhouse.query("SELECT count() AS n FROM clob_fills", Count)
      expect(raw[0]!.n).toBe(2)
      const rows = yield* clickhouse.query(
        "SELECT fill_id, price, maker_amount_filled, ingested_at FROM clob_fills FINAL",
        Schema.Struct({ fill_id: Schema.String, price: Schema.Number, maker_amount_filled: Schema.String, ingested_at: Schema.String })
      )
      expect(rows).toHaveLength(1)
      // The newest version wins, and a uint64 amount past 2^53 survives exactly.
      expect(rows[0]).toMatchObject({ fill_id: `${TX}_${ORDER}`, price: 0.51, maker_amount_filled: "18446744073709551615" })
    }))

  it.effect("values reach SQL only through the quoting function: a hostile string is refused before any query runs", () =>
    Effect.gen(function* () {
      const clickhouse = yield* ClickHouse
      const lookup = (txHash: SqlValue) =>
        Effect.try({
          try: () => sql`SELECT count() AS n FROM clob_fills FINAL WHERE tx_hash = ${txHash}`,
          catch: (e) => e as UnsafeSqlValue
        }).pipe(Effect.flatMap((text) => clickhouse.query(text, Count)))

      const hostile = "x' OR 1=1 --"
      expect(Either.isLeft(toSqlValue(hostile))).toBe(true)
      const refused = yield* Effect.exit(lookup(hostile as unknown as SqlValue))
      expect(refused).toStrictEqual(Exit.fail(new UnsafeSqlValue({ kind: "string", message: "refused a string that is not a validated domain value" })))

      // The same path with a validated value is real SQL that finds the row.
      const found = yield* lookup(Schema.decodeSync(Bytes32)(TX))
      expect(found[0]!.n).toBe(1)
    }))

  it.effect("rows that do not match the schema are a Decode error, not bad data", () =>
    Effect.gen(function* () {
      const clickhouse = yield* ClickHouse
      const error = yield* Effect.flip(clickhouse.query("SELECT 'abc' AS n", Schema.Struct({ n: Schema.Number })))
      expect(error.reason).toBe("Decode")
      expect(error.message).toContain("Expected number")
    }))

  it.effect("a server-side error is one line with the server's message", () =>
    Effect.gen(function* () {
      const clickhouse = yield* ClickHouse
      const syntax = yield* Effect.flip(clickhouse.command("SELEC 1"))
      expect(syntax.reason).toBe("Query")
      expect(syntax.message).toMatch(/^ClickHouse: Code: 62/)
      expect(syntax.message).not.toContain("\n")
      const missing = yield* Effect.flip(clickhouse.query("SELECT * FROM no_such_table", Schema.Unknown))
      expect(missing.message).toContain('run "polybackfill migrate"')
    }))

  it.effect("inserting into a table name that is not an identifier is refused", () =>
    Effect.gen(function* () {
      const clickhouse = yield* ClickHouse
      const error = yield* Effect.flip(clickhouse.insert("clob_fills; DROP TABLE x", [{ a: 1 }]))
      expect(error.message).toContain("refused table name")
    }))

  // Real time: this waits on the server, not on a clock under test.
  it.effect("interrupting a query aborts it, and the server stops running it", () =>
    Effect.gen(function* () {
      const clickhouse = yield* ClickHouse
      const marker = `interrupt_${Date.now()}`
      const running = clickhouse.query(
        `SELECT count() AS n FROM system.processes WHERE query LIKE '%${marker}%' AND query NOT LIKE '%system.processes%'`,
        Count
      )
      // ~150 blocks of one second each: far longer than the test.
      const slow = yield* Effect.fork(
        clickhouse.query(`SELECT count() AS n, '${marker}' AS m FROM (SELECT sleep(1) FROM system.numbers LIMIT 10000000)`, Schema.Unknown)
      )
      const until = (n: number) =>
        running.pipe(
          Effect.filterOrFail((rows) => rows[0]!.n === n),
          Effect.retry(Schedule.spaced("100 millis")),
          Effect.timeout("20 seconds")
        )
      yield* until(1)
      yield* Fiber.interrupt(slow)
      // Fails with a TimeoutException if the server were still running it.
      yield* until(0)
    }).pipe(TestServices.provideLive))
})

describe("connection failures are one line at startup", () => {
  it.live("an unreachable server names the URL and what to check", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Effect.scoped(makeClickHouse({ url: "http://127.0.0.1:1", username: "default", password: Redacted.make(""), database: "x" }))
      )
      expect(error.reason).toBe("Unreachable")
      expect(error.message).toBe(
        "cannot reach ClickHouse at http://127.0.0.1:1 (ECONNREFUSED): is the server running? check --clickhouse-url / CLICKHOUSE_URL"
      )
    }))

  it.live("a wrong password says which settings to check and never shows the password", () =>
    Effect.gen(function* () {
      const conn = { ...testConnection("default"), username: "default", password: Redacted.make("hunter2-never-print") }
      const error = yield* Effect.flip(Effect.scoped(makeClickHouse(conn)))
      expect(error.reason).toBe("Auth")
      expect(error.message).toContain("CLICKHOUSE_PASSWORD")
      expect(error.message).not.toContain("hunter2-never-print")
    }))

  it.live("a missing database asks for migrate, and createDatabase creates it", () =>
    Effect.gen(function* () {
      const database = freshDatabaseName("missing")
      const error = yield* Effect.flip(Effect.scoped(makeClickHouse(testConnection(database))))
      expect(error.message).toBe(
        `database "${database}" does not exist on ${testConnection(database).url}: run "polybackfill migrate" to create it (or check --database / CLICKHOUSE_DATABASE)`
      )
      const current = yield* Effect.scoped(
        Effect.flatMap(makeClickHouse(testConnection(database), { createDatabase: true }), (ch) =>
          ch.query("SELECT currentDatabase() AS db", Schema.Struct({ db: Schema.String }))
        )
      ).pipe(Effect.ensuring(dropDatabase(database)))
      expect(current).toEqual([{ db: database }])
    }))
})

/** A real server on a free loopback port for the scope (its connections cut at the end); its base URL. */
const listening = (server: Server, scheme: "http" | "https" = "http") => {
  const sockets = new Set<Socket>()
  server.on("connection", (socket: Socket) => sockets.add(socket))
  return Effect.acquireRelease(
    Effect.async<string>((resume) => {
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed(`${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`)))
    }),
    () =>
      Effect.async<void>((resume) => {
        server.close(() => resume(Effect.void))
        for (const socket of sockets) socket.destroy()
      })
  )
}

const failureAt = (url: string) =>
  Effect.flip(Effect.scoped(makeClickHouse({ url, username: "default", password: Redacted.make("hunter2-never-print"), database: "x" })))

describe("a URL that answers but is not ClickHouse's HTTP interface: one line saying what to use", () => {
  const webServer = (status: number, type: string, body: string) =>
    createHttpServer((_req, res) => {
      res.writeHead(status, { "content-type": type })
      res.end(body)
    })

  it.scopedLive("a web server answering 200 HTML or 404 is refused as not ClickHouse before any query runs", () =>
    Effect.gen(function* () {
      const page = yield* listening(webServer(200, "text/html; charset=utf-8", "<!doctype html><html><body>Welcome</body></html>"))
      const missing = yield* listening(webServer(404, "text/plain", "Not Found"))
      const html = yield* failureAt(page)
      expect(html.message).toBe(
        `${page} is not ClickHouse (it answered HTTP 200 text/html with no X-ClickHouse-* header): ` +
          "point --clickhouse-url / CLICKHOUSE_URL at ClickHouse's HTTP interface (http://host:8123, or https://host:8443 with TLS)"
      )
      const notFound = yield* failureAt(missing)
      expect(notFound.message).toMatch(new RegExp(`^${missing} is not ClickHouse \\(it answered HTTP 404 text/plain with no X-ClickHouse-\\* header\\)`))
      for (const e of [html, notFound]) expect(e.message).not.toContain("hunter2")
    }))

  it.scopedLive("https to a plain HTTP port fails the TLS handshake: says to use http://", () =>
    Effect.gen(function* () {
      const plain = yield* listening(webServer(200, "text/plain", "Ok."), "https")
      const error = yield* failureAt(plain)
      expect(error.message).toBe(
        `${plain} does not speak TLS (its port answers plain HTTP): use ${plain.replace("https:", "http:")} in --clickhouse-url / CLICKHOUSE_URL`
      )
    }))

  it.scopedLive("a port that answers bytes that are not HTTP (as the native port does): names the native port and the HTTP interface", () =>
    Effect.gen(function* () {
      const native = yield* listening(
        createTcpServer((socket) => {
          socket.on("error", () => {})
          socket.end(Buffer.from([0x00, 0x0a, 0x43, 0x6c, 0x69, 0x63, 0x6b, 0x48, 0x6f, 0x75, 0x73, 0x65, 0xff, 0x01]))
        })
      )
      const error = yield* failureAt(native)
      expect(error.message).toBe(
        `${native} does not answer in HTTP (HPE_INVALID_CONSTANT), as ClickHouse's native port (9000) or a TLS port would not: ` +
          "point --clickhouse-url / CLICKHOUSE_URL at ClickHouse's HTTP interface (http://host:8123, or https://host:8443 with TLS)"
      )
    }))
})
