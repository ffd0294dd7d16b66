import { Clock, Effect, Layer, Schedule } from "effect"
import type { ClickHouseError } from "../domain/errors.js"
import { GovernorLimits } from "../domain/statements.js"
import type { GovernorLimitRow } from "../domain/tables.js"
import { TABLES } from "../domain/tables.js"
import { ClickHouse } from "../services/ClickHouse.js"
import { Governor } from "../services/Governor.js"
import type { AdaptiveOptions } from "./GovernorAdaptive.js"
import { makeAdaptive } from "./GovernorAdaptive.js"
import type { SafeLimit } from "./governorEngine.js"

/**
 * A governor key is "host" or "host/endpoint" (e.g. "gamma-api.polymarket.com/markets" for a route
 * with its own limit). A full URL keeps only its host: RPC URLs carry provider keys in their paths,
 * which must never reach a table.
 */
export const splitHostKey = (key: string): { readonly host: string; readonly endpoint: string } => {
  if (key.includes("://")) {
    try {
      return { host: new URL(key).host, endpoint: "" }
    } catch {
      return { host: "invalid-url", endpoint: "" }
    }
  }
  const slash = key.indexOf("/")
  return slash < 0 ? { host: key, endpoint: "" } : { host: key.slice(0, slash), endpoint: key.slice(slash) }
}

const storedKey = (host: string, endpoint: string): string => `${host}\u0000${endpoint}`

/** Every learned limit, latest version of each (FINAL: the table is a ReplacingMergeTree). */
export const loadSafeLimits: Effect.Effect<ReadonlyMap<string, number>, ClickHouseError, ClickHouse> = Effect.gen(
  function* () {
    const clickhouse = yield* ClickHouse
    const rows = yield* clickhouse.query(GovernorLimits.load.sql(), GovernorLimits.load.rows)
    return new Map(rows.map((r) => [storedKey(r.host, r.endpoint), r.safe_limit]))
  }
)

export const saveSafeLimits = (limits: ReadonlyArray<SafeLimit>): Effect.Effect<void, ClickHouseError, ClickHouse> =>
  Effect.gen(function* () {
    if (limits.length === 0) return
    const clickhouse = yield* ClickHouse
    const updatedAt = Math.floor((yield* Clock.currentTimeMillis) / 1000)
    const rows: Array<GovernorLimitRow> = limits.map((l) => ({
      ...splitHostKey(l.host),
      safe_limit: Math.max(1, Math.floor(l.safeLimit)),
      updated_at: updatedAt
    }))
    yield* clickhouse.insert(TABLES.governorLimits, rows as unknown as ReadonlyArray<Record<string, unknown>>)
  })

/** Learned limits are written this often during a run (and once more when it ends). */
const SAVE_EVERY = "60 seconds"

/**
 * `--workers auto` with memory across runs: each host starts from the limit an earlier run reached
 * safely, and this run's safe limits are saved periodically and at shutdown. ClickHouse trouble only
 * costs the memory (a warning), never the run.
 */
export const layerAdaptivePersistent = (options: AdaptiveOptions): Layer.Layer<Governor, never, ClickHouse> =>
  Layer.scoped(
    Governor,
    Effect.gen(function* () {
      const clickhouse = yield* ClickHouse
      const learned = yield* loadSafeLimits.pipe(
        Effect.tapError((e) => Effect.logWarning(`governor: starting without learned limits (${e.message})`)),
        Effect.orElseSucceed((): ReadonlyMap<string, number> => new Map())
      )
      const engine = yield* makeAdaptive({
        ...options,
        initialLimitOf: (key) => {
          const { host, endpoint } = splitHostKey(key)
          return learned.get(storedKey(host, endpoint))
        }
      })
      const saved = new Map<string, number>()
      const saveChanged = Effect.gen(function* () {
        const changed = (yield* engine.safeLimits).filter((l) => saved.get(l.host) !== l.safeLimit)
        yield* saveSafeLimits(changed)
        for (const l of changed) saved.set(l.host, l.safeLimit)
      }).pipe(
        Effect.provideService(ClickHouse, clickhouse),
        Effect.catchAll((e) => Effect.logWarning(`governor: could not save learned limits (${e.message})`))
      )
      yield* Effect.forkScoped(Effect.repeat(Effect.delay(saveChanged, SAVE_EVERY), Schedule.forever))
      // A last save must not hold up shutdown when ClickHouse is what failed.
      yield* Effect.addFinalizer(() => Effect.ignore(Effect.timeout(saveChanged, "5 seconds")))
      return { withPermit: engine.withPermit, snapshot: engine.snapshot }
    })
  )
