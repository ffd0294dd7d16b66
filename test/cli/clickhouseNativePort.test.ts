import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { Effect, Redacted } from "effect"
import { makeClickHouse } from "../../src/layers/ClickHouseLive.js"
import { ensureLocalClickHouse, stopLocalClickHouse } from "../../src/layers/LocalClickHouse.js"
import { runCli } from "../support/cli.js"

describe("the managed server's native port (a server of its own)", () => {
  const stateDir = mkdtempSync(join(tmpdir(), "polybackfill-native-"))
  afterAll(async () => {
    await Effect.runPromise(Effect.ignore(stopLocalClickHouse(stateDir)))
    rmSync(stateDir, { recursive: true, force: true })
  })

  it("clickhouse status shows it, and that port given as --clickhouse-url is named as the native port, with the HTTP URL to use", async () => {
    const server = await Effect.runPromise(ensureLocalClickHouse(stateDir))
    const status = await runCli(["clickhouse", "status", "--state-dir", stateDir])
    expect(status.code).toBe(0)
    expect(status.stdout).toContain(`url:    ${server.url}\n`)
    const native = /^native: 127\.0\.0\.1:(\d+) \(clickhouse-client --port (\d+)\)$/m.exec(status.stdout)
    expect(native).not.toBeNull()
    expect(native![2]).toBe(native![1])

    // The server itself says which port is its native one: it answers HTTP there with where HTTP is.
    const nativeUrl = `http://127.0.0.1:${native![1]}`
    const error = await Effect.runPromise(
      Effect.flip(Effect.scoped(makeClickHouse({ url: nativeUrl, username: "default", password: Redacted.make(""), database: "default" })))
    )
    expect(error.message).toBe(
      `${nativeUrl} is ClickHouse's native port (it names port ${new URL(server.url).port} for HTTP): use ${server.url} in --clickhouse-url / CLICKHOUSE_URL`
    )
  })
})
