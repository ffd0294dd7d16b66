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
      { url: Option.some("http://flag-host:18123"), database: Option.some("from_flag") },
      { ...noEnv, url: Option.some("http://env-host:8123"), database: Option.some("from_env") }
    )
    expect(target).toMatchObject({ _tag: "Remote", url: "http://flag-host:18123", database: "from_flag" })
  })

  it("CLICKHOUSE_HOST alone means ClickHouse's HTTP port, 8123 (8443 for https), not 80", () => {
    const url = (host: string) => {
      const target = resolveClickHouse(noFlags, { ...noEnv, host: Option.some(host) })
      return target._tag === "Remote" ? target.url : target
    }
    expect(url("ch.internal")).toBe("http://ch.internal:8123")
    expect(url("http://ch.internal/")).toBe("http://ch.internal:8123")
    expect(url("https://ch.internal")).toBe("https://ch.internal:8443")
    expect(url("ch.internal:8124")).toBe("http://ch.internal:8124")
    expect(url("ch.internal:80")).toBe("http://ch.internal")
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

describe("resolveClickHouse: a URL that cannot be ClickHouse's HTTP interface is one line saying what to use", () => {
  const refusal = (flags: typeof noFlags, env: ClickHouseEnv = noEnv): string => {
    const target = resolveClickHouse(flags, env)
    expect(target).toBeInstanceOf(UsageError)
    return (target as UsageError).message
  }
  const flag = (url: string) => ({ ...noFlags, url: Option.some(url) })

  it("a query string: names its keys (not their values) and the URL without it", () => {
    const message = refusal(flag("http://bob:hunter2@ch:8123/?database=pm&password=hunter2"))
    expect(message).toBe(
      "the ClickHouse URL in --clickhouse-url has a query string (database, password), which polybackfill does not read: " +
        "use http://bob:***@ch:8123, with the database in --database / CLICKHOUSE_DATABASE and the user in CLICKHOUSE_USER / CLICKHOUSE_PASSWORD (or as user:password@)"
    )
    expect(refusal(noFlags, { ...noEnv, url: Option.some("https://ch:8443?ch_max_threads=2") })).toMatch(/^the ClickHouse URL in CLICKHOUSE_URL has a query string \(ch_max_threads\)/)
  })

  it("the native ports 9000 and 9440: says which HTTP(S) URL to use, from the flag, CLICKHOUSE_URL or CLICKHOUSE_PORT", () => {
    expect(refusal(flag("http://bob:hunter2@ch:9000"))).toBe(
      "port 9000 in --clickhouse-url is ClickHouse's native protocol (clickhouse-client's); polybackfill uses the HTTP interface: use http://bob:***@ch:8123"
    )
    expect(refusal(noFlags, { ...noEnv, url: Option.some("https://ch:9440") })).toBe(
      "port 9440 in CLICKHOUSE_URL is ClickHouse's native protocol (clickhouse-client's); polybackfill uses the HTTP interface: use https://ch:8443"
    )
    expect(refusal(noFlags, { ...noEnv, host: Option.some("ch"), port: Option.some(9000) })).toMatch(
      /^port 9000 in CLICKHOUSE_HOST \/ CLICKHOUSE_PORT is ClickHouse's native protocol .*use http:\/\/ch:8123$/
    )
  })

  it("https on 8123, the plain HTTP port: says http on 8123, or https on 8443", () => {
    expect(refusal(flag("https://ch:8123/pm"))).toBe(
      "https on port 8123 in --clickhouse-url: 8123 is ClickHouse's plain HTTP port: use http://ch:8123/pm, or https://ch:8443/pm for TLS"
    )
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
