import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Option, Redacted } from "effect"
import { resolveClickHouseTarget, resolveSources } from "../../src/cli/common.js"
import { DEFAULT_SOURCES } from "../../src/domain/settings.js"

const withEnv = (env: Record<string, string>) => Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))
const noFlags = { clickhouseUrl: Option.none<string>(), database: Option.none<string>(), stateDir: "./.polybackfill" }

describe("ClickHouse settings from the environment", () => {
  it.effect("reads the runbooks' variable names", () =>
    Effect.gen(function* () {
      const target = yield* resolveClickHouseTarget(noFlags).pipe(
        withEnv({
          CLICKHOUSE_HOST: "10.0.0.5",
          CLICKHOUSE_PORT: "8123",
          CLICKHOUSE_USER: "etl",
          CLICKHOUSE_PASSWORD: "pw-from-env",
          CLICKHOUSE_DATABASE: "pm_prod"
        })
      )
      expect(target).toMatchObject({ _tag: "Remote", url: "http://10.0.0.5:8123", username: "etl", database: "pm_prod" })
      expect(target._tag === "Remote" && Redacted.value(target.password)).toBe("pw-from-env")
    }))

  it.effect("flags win over CLICKHOUSE_URL and CLICKHOUSE_DATABASE", () =>
    Effect.gen(function* () {
      const target = yield* resolveClickHouseTarget({
        ...noFlags,
        clickhouseUrl: Option.some("http://flag:8123"),
        database: Option.some("flagdb")
      }).pipe(withEnv({ CLICKHOUSE_URL: "http://env:8123", CLICKHOUSE_DATABASE: "envdb" }))
      expect(target).toMatchObject({ url: "http://flag:8123", database: "flagdb" })
    }))

  it.effect("a non-numeric CLICKHOUSE_PORT is one line naming the variable, without the password", () =>
    Effect.gen(function* () {
      const exit = yield* resolveClickHouseTarget(noFlags).pipe(
        withEnv({ CLICKHOUSE_HOST: "h", CLICKHOUSE_PORT: "eighty", CLICKHOUSE_PASSWORD: "never-show-me" }),
        Effect.exit
      )
      expect(Exit.isFailure(exit)).toBe(true)
      const text = JSON.stringify(exit)
      expect(text).toContain("CLICKHOUSE_PORT")
      expect(text).not.toContain("never-show-me")
    }))
})

describe("source URLs", () => {
  const defaults = { gammaUrl: DEFAULT_SOURCES.gamma, dataApiUrl: DEFAULT_SOURCES.dataApi, goldskyUrl: DEFAULT_SOURCES.goldsky }

  it.effect("RPC_URLS is comma-separated, and --rpc-url wins", () =>
    Effect.gen(function* () {
      const fromEnv = yield* resolveSources({ ...defaults, rpcUrl: [] }).pipe(withEnv({ RPC_URLS: "http://a, http://b" }))
      expect(fromEnv.rpc).toEqual(["http://a", "http://b"])
      const fromFlag = yield* resolveSources({ ...defaults, rpcUrl: ["http://c"] }).pipe(withEnv({ RPC_URLS: "http://a" }))
      expect(fromFlag.rpc).toEqual(["http://c"])
    }))

  it.effect("ETHEREUM_RPC_URLS (the runbook's name) is read when RPC_URLS is not set", () =>
    Effect.gen(function* () {
      const runbook = yield* resolveSources({ ...defaults, rpcUrl: [] }).pipe(withEnv({ ETHEREUM_RPC_URLS: "http://x,http://y" }))
      expect(runbook.rpc).toEqual(["http://x", "http://y"])
      const both = yield* resolveSources({ ...defaults, rpcUrl: [] }).pipe(withEnv({ RPC_URLS: "http://a", ETHEREUM_RPC_URLS: "http://x" }))
      expect(both.rpc).toEqual(["http://a"])
      const flag = yield* resolveSources({ ...defaults, rpcUrl: ["http://c"] }).pipe(withEnv({ ETHEREUM_RPC_URLS: "http://x" }))
      expect(flag.rpc).toEqual(["http://c"])
    }))

  it.effect("defaults to the real endpoints", () =>
    Effect.gen(function* () {
      const sources = yield* resolveSources({ ...defaults, rpcUrl: [] }).pipe(withEnv({}))
      expect(sources.gamma).toBe("https://gamma-api.polymarket.com")
      expect(sources.rpc).toEqual(DEFAULT_SOURCES.rpc)
    }))
})
