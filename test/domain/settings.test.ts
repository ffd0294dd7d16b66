import { describe, expect, it } from "@effect/vitest"
import { Option, Redacted } from "effect"
import { UsageError } from "../../src/domain/errors.js"
import type { ClickHouseEnv } from "../../src/domain/settings.js"
import { resolveClickHouse } from "../../src/domain/settings.js"

const noEnv: ClickHouseEnv = {
  url: Option.none(),
  host: Option.none(),
  port: Option.none(),
  user: Option.none(),
  password: Option.none(),
  database: Option.none()
}
const noFlags = { url: Option.none<string>(), database: Option.none<string>() }

describe("resolveClickHouse", () => {
  it("uses the managed local server when nothing is configured", () => {
    expect(resolveClickHouse(noFlags, noEnv)).toEqual({ _tag: "Managed", database: "polymarket" })
  })

  it("builds the URL from the runbooks' CLICKHOUSE_HOST/PORT/USER/PASSWORD/DATABASE", () => {
    const target = resolveClickHouse(noFlags, {
      ...noEnv,
      host: Option.some("ch.internal"),
      port: Option.some(8124),
      user: Option.some("loader"),
      password: Option.some(Redacted.make("s3cret")),
      database: Option.some("pm")
    })
    expect(target).toMatchObject({ _tag: "Remote", url: "http://ch.internal:8124", username: "loader", database: "pm" })
    expect(target._tag === "Remote" && Redacted.value(target.password)).toBe("s3cret")
  })

  it("prefers CLICKHOUSE_URL over host/port, and takes user and password from it", () => {
    const target = resolveClickHouse(noFlags, {
      ...noEnv,
      url: Option.some("https://alice:p%40ss@db.example:8443"),
      host: Option.some("ignored")
    })
    expect(target).toMatchObject({ _tag: "Remote", url: "https://db.example:8443", username: "alice" })
    expect(target._tag === "Remote" && Redacted.value(target.password)).toBe("p@ss")
  })

  it("lets --clickhouse-url and --database win over the environment", () => {
    const target = resolveClickHouse(
      { url: Option.some("http://flag-host:9000"), database: Option.some("from_flag") },
      { ...noEnv, url: Option.some("http://env-host:8123"), database: Option.some("from_env") }
    )
    expect(target).toMatchObject({ _tag: "Remote", url: "http://flag-host:9000", database: "from_flag" })
  })

  it("refuses a malformed URL in one line without echoing its password", () => {
    const target = resolveClickHouse({ ...noFlags, url: Option.some("ftp://bob:hunter2@x") }, noEnv)
    expect(target).toBeInstanceOf(UsageError)
    expect((target as UsageError).message).not.toContain("hunter2")
  })

  it("refuses a database name that could inject SQL", () => {
    const target = resolveClickHouse({ url: Option.none(), database: Option.some("pm; DROP TABLE x") }, noEnv)
    expect(target).toBeInstanceOf(UsageError)
    expect((target as UsageError).message).toMatch(/--database or CLICKHOUSE_DATABASE/)
  })

  it("never shows the password when the target is printed", () => {
    const target = resolveClickHouse(noFlags, { ...noEnv, url: Option.some("http://u:topsecret@h:8123") })
    expect(JSON.stringify(target)).not.toContain("topsecret")
    expect(String((target as { password: unknown }).password)).not.toContain("topsecret")
  })
})

describe("resolveClickHouse: the embedded engine", () => {
  it("`--clickhouse-url embedded` and CLICKHOUSE_URL=embedded choose it, with the configured database", () => {
    expect(resolveClickHouse({ ...noFlags, url: Option.some("embedded") }, noEnv)).toEqual({ _tag: "Embedded", database: "polymarket" })
    expect(resolveClickHouse(noFlags, { ...noEnv, url: Option.some("EMBEDDED"), database: Option.some("pm") })).toEqual({ _tag: "Embedded", database: "pm" })
  })

  it("a flag URL of a server wins over CLICKHOUSE_URL=embedded", () => {
    expect(resolveClickHouse({ ...noFlags, url: Option.some("http://h:8123") }, { ...noEnv, url: Option.some("embedded") })).toMatchObject({ _tag: "Remote" })
  })
})
