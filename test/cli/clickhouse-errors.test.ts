import { mkdtempSync, rmSync } from "node:fs"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { Effect } from "effect"
import { dropDatabase, freshDatabaseName, testServerUrl } from "../support/clickhouse.js"
import { runCli } from "../support/cli.js"

const PASSWORD = "hunter2-do-not-print"
const oneLine = (text: string) => text.trim().split("\n")

describe("the CLI's one-line failures (spawned process)", () => {
  it("an unreachable CLICKHOUSE_URL: one line naming the URL and what to check, exit 1, no stack trace", async () => {
    const result = await runCli(["migrate"], { env: { CLICKHOUSE_URL: "http://127.0.0.1:1" } })
    expect(result.code).toBe(1)
    expect(oneLine(result.stderr)).toEqual([
      "polybackfill: cannot reach ClickHouse at http://127.0.0.1:1 (ECONNREFUSED): is the server running? check --clickhouse-url / CLICKHOUSE_URL"
    ])
    expect(result.stdout).toBe("")
  })

  it("a wrong password (env or URL): one line saying what to check, exit 1, the password nowhere", async () => {
    const url = new URL(testServerUrl())
    const withPassword = new URL(url)
    withPassword.username = "default"
    withPassword.password = PASSWORD
    const results = await Promise.all([
      runCli(["migrate"], { env: { CLICKHOUSE_URL: url.origin, CLICKHOUSE_PASSWORD: PASSWORD } }),
      runCli(["migrate", "--clickhouse-url", withPassword.toString()])
    ])
    for (const result of results) {
      expect(result.code).toBe(1)
      const lines = oneLine(result.stderr)
      expect(lines).toHaveLength(1)
      expect(lines[0]).toContain("wrong user or password")
      expect(lines[0]).toContain("CLICKHOUSE_PASSWORD")
      expect(result.stderr + result.stdout).not.toContain(PASSWORD)
      expect(result.stderr).not.toMatch(/^\s+at /m)
    }
  })

  it("a ClickHouse URL with a query string, or one that is a web page: one line naming what to use, no internal error", async () => {
    const page = createServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end("<html><body>It works!</body></html>"))
    await new Promise<void>((resolve) => page.listen(0, "127.0.0.1", resolve))
    const pageUrl = `http://127.0.0.1:${(page.address() as AddressInfo).port}`
    try {
      const [query, web] = await Promise.all([
        runCli(["migrate", "--clickhouse-url", `http://default:${PASSWORD}@127.0.0.1:8123/?database=pm`]),
        runCli(["migrate"], { env: { CLICKHOUSE_URL: pageUrl, CLICKHOUSE_PASSWORD: PASSWORD } })
      ])
      // A usage error: its exit code is the CLI's usage code (see report.ts), never 0.
      expect(query.code).not.toBe(0)
      expect(oneLine(query.stderr)).toEqual([
        "polybackfill: the ClickHouse URL in --clickhouse-url has a query string (database), which polybackfill does not read: " +
          "use http://default:***@127.0.0.1:8123, with the database in --database / CLICKHOUSE_DATABASE and the user in CLICKHOUSE_USER / CLICKHOUSE_PASSWORD (or as user:password@)"
      ])
      expect(web.code).toBe(1)
      expect(oneLine(web.stderr)).toEqual([
        `polybackfill: ${pageUrl} is not ClickHouse (it answered HTTP 200 text/html with no X-ClickHouse-* header): ` +
          "point --clickhouse-url / CLICKHOUSE_URL at ClickHouse's HTTP interface (http://host:8123, or https://host:8443 with TLS)"
      ])
      for (const r of [query, web]) expect(r.stdout + r.stderr).not.toContain(PASSWORD)
    } finally {
      page.closeAllConnections()
      await new Promise((resolve) => page.close(resolve))
    }
  })

  it("an unknown command or flag is a usage error with exit code 2", async () => {
    const [command, flag] = await Promise.all([
      runCli(["frobnicate"]),
      runCli(["migrate", "--no-such-flag"], { env: { CLICKHOUSE_URL: "http://127.0.0.1:1" } })
    ])
    expect(command.code).toBe(2)
    expect(command.stderr + command.stdout).toMatch(/Invalid subcommand/)
    expect(flag.code).toBe(2)
    expect(flag.stderr + flag.stdout).toMatch(/--no-such-flag/)
  })
})

describe("migrate and clickhouse status from the command line", () => {
  const database = freshDatabaseName("cli")
  const stateDir = mkdtempSync(join(tmpdir(), "polybackfill-cli-state-"))
  afterAll(async () => {
    await Effect.runPromise(dropDatabase(database))
    rmSync(stateDir, { recursive: true, force: true })
  })

  it("migrate prints each applied migration and the tables, then says up to date", async () => {
    const env = { CLICKHOUSE_URL: testServerUrl(), CLICKHOUSE_DATABASE: database }
    const first = await runCli(["migrate"], { env })
    expect(first.stderr).toBe("")
    expect(first.code).toBe(0)
    expect(first.stdout).toContain("applied migration 0001 initial_schema")
    expect(first.stdout).toMatch(/^ {2}clob_fills +ReplacingMergeTree$/m)
    expect(first.stdout).toMatch(/^ {2}pm_trades_with_external +View$/m)
    const second = await runCli(["migrate"], { env })
    expect(second.code).toBe(0)
    expect(second.stdout).toContain("schema up to date")
    expect(second.stdout).not.toContain("applied migration")
  })

  it("clickhouse status with nothing started says so and exits 1 (test/cli/status.test.ts: and how to start it)", async () => {
    const result = await runCli(["clickhouse", "status", "--state-dir", stateDir])
    expect(result.code).toBe(1)
    expect(result.stdout).toContain("status: not running")
    expect(result.stdout).toContain(join(stateDir, "clickhouse", "data"))
  })
})
