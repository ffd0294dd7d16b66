import { Command } from "@effect/cli"
import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit } from "effect"
import type { RunSettings } from "../../src/cli/runOptions.js"
import { parseDurationMs, parseWorkers, resolveRunOptions, runOptions } from "../../src/cli/runOptions.js"

/** Parses `args` as `run`'s flags with `env` as the environment, as the real CLI does. */
const settingsOf = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  Effect.gen(function* () {
    let captured: RunSettings | undefined
    const cmd = Command.make("run", runOptions, (v) => Effect.map(resolveRunOptions(v), (s) => void (captured = s)))
    yield* Command.run(cmd, { name: "t", version: "0" })(["node", "t", ...args]).pipe(
      Effect.provide(NodeContext.layer),
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))
    )
    return captured!
  })

describe("run options", () => {
  it.effect("defaults: auto workers (1..256), batches of 5000, 2 s flush, 30 s request timeout, 60 s stall timeout, ClickHouse checkpoints", () =>
    Effect.gen(function* () {
      const s = yield* settingsOf([])
      expect(s).toMatchObject({
        unitConcurrency: 256,
        workersLabel: "auto 1..256",
        batchSize: 5000,
        flushIntervalMs: 2000,
        requestTimeoutMs: 30_000,
        stallTimeoutMs: 60_000,
        delayMs: 0,
        checkpoint: "clickhouse",
        dryRun: false,
        governor: { workers: "auto" }
      })
      expect(s.selection).toMatchObject({ retryErrors: false, skip: 0, limit: undefined, shard: { index: 0, count: 1 } })
    }))

  it.effect("the seeds' environment names are fallbacks", () =>
    Effect.gen(function* () {
      const s = yield* settingsOf([], {
        WORKER_COUNT: "64",
        DELAY_MS: "250",
        INSERT_BATCH_SIZE: "1000",
        CHECKPOINT_INTERVAL: "200",
        BACKFILL_LIMIT: "10"
      })
      expect(s).toMatchObject({ unitConcurrency: 64, delayMs: 250, batchSize: 1000, checkpointInterval: 200 })
      // The external-trade runbook's knobs are the trades job's alone (test/cli/tradesOptions.test.ts): a copied .env.local must not slow other jobs.
      expect(s.selection.limit).toBeUndefined()
      expect((yield* settingsOf([], { BACKFILL_SLEEP_MS: "75" })).delayMs).toBe(0)
    }))

  it.effect("the runbook's SHARD_ID and SHARDS give the shard; --shard wins over them", () =>
    Effect.gen(function* () {
      expect((yield* settingsOf([], { SHARD_ID: "2", SHARDS: "3" })).shard).toEqual({ index: 2, count: 3 })
      expect((yield* settingsOf(["--shard", "0/2"], { SHARD_ID: "2", SHARDS: "3" })).shard).toEqual({ index: 0, count: 2 })
      expect((yield* settingsOf([], { SHARD_ID: "2" })).shard).toEqual({ index: 0, count: 1 })
    }))

  it.effect("flags win over the environment", () =>
    Effect.gen(function* () {
      const s = yield* settingsOf(["--workers", "8", "--batch-size", "100", "--delay-ms", "5"], { WORKER_COUNT: "64", INSERT_BATCH_SIZE: "1000", DELAY_MS: "250" })
      expect(s).toMatchObject({ unitConcurrency: 8, batchSize: 100, delayMs: 5 })
    }))

  it.effect("selection, durations, shard and dry run", () =>
    Effect.gen(function* () {
      const s = yield* settingsOf([
        "--since", "2026-04-01", "--until", "2026-04-28", "--skip", "3", "--limit", "7", "--retry-errors",
        "--flush-interval", "500ms", "--request-timeout", "1m", "--stall-timeout", "90s", "--shard", "1/4", "--dry-run", "--checkpoint", "file"
      ])
      expect(s.selection).toMatchObject({
        since: Date.UTC(2026, 3, 1) / 1000,
        until: Date.UTC(2026, 3, 28) / 1000,
        skip: 3,
        limit: 7,
        retryErrors: true,
        shard: { index: 1, count: 4 }
      })
      expect(s).toMatchObject({ flushIntervalMs: 500, requestTimeoutMs: 60_000, stallTimeoutMs: 90_000, dryRun: true, checkpoint: "file" })
    }))

  it.effect("--workers auto uses the governor's bounds for units in flight", () =>
    Effect.gen(function* () {
      const s = yield* settingsOf(["--workers", "auto", "--max-workers", "100"])
      expect(s.governor.workers).toBe("auto")
      expect(s.unitConcurrency).toBe(100)
    }))

  it.effect("bad values are one line naming the flag and the fix", () =>
    Effect.gen(function* () {
      const bad = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
        Effect.map(Effect.exit(settingsOf(args, env)), (exit) => (Exit.isFailure(exit) ? JSON.stringify(exit) : "accepted"))
      expect(yield* bad(["--workers", "lots"])).toContain("--workers must be a whole number of at least 1 or auto")
      expect(yield* bad(["--flush-interval", "soon"])).toContain("--flush-interval must be a duration like 30s")
      expect(yield* bad(["--stall-timeout", "0s"])).toContain("--stall-timeout must be above 0")
      expect(yield* bad(["--since", "2026-02-30"])).toContain("--since must be a day like 2026-04-28")
      expect(yield* bad(["--since", "2026-04-02", "--until", "2026-04-01"])).toContain("--until must be after --since")
      expect(yield* bad(["--batch-size", "0"])).toContain("--batch-size must be a whole number of at least 1")
      expect(yield* bad(["--shard", "4/4"])).toContain("--shard 4/4")
    }))
})

describe("parsers", () => {
  it("durations and worker counts", () => {
    expect(parseDurationMs("30s", "--x")).toBe(30_000)
    expect(parseDurationMs("1.5s", "--x")).toBe(1500)
    expect(parseDurationMs("250ms", "--x")).toBe(250)
    expect(parseDurationMs("2", "--x")).toBe(2000)
    expect(parseWorkers("AUTO")).toBe("auto")
    expect(parseWorkers("0")).toMatch(/at least 1/)
  })
})
