/**
 * `polybackfill pnl rebuild` at scale: fills generated inside ClickHouse (balanced trades: each one a
 * BUY row and a SELL row of two wallets, so the conservation gate holds), then the rebuild timed.
 *
 *   npm run bench -- pnl [--sizes 1000000,10000000] [--wallets 50000] [--clickhouse-url URL]
 *
 * Prints, per size: rebuild seconds, fills/s, the ratio to the previous size's time, and the peak
 * memory ClickHouse used for one query of the rebuild (system.query_log when the server logs queries,
 * else the peak system.processes showed, sampled every 100 ms).
 */
import { Effect, Fiber, Option, Schedule, Schema } from "effect"
import { layerClickHouseFromOptions } from "../src/cli/clickhouseLayer.js"
import { MIGRATIONS } from "../src/layers/migrations/index.js"
import { ClickHouse } from "../src/services/ClickHouse.js"
import { emptyDatabase } from "../src/streams/demo.js"
import { migrate } from "../src/streams/migrate.js"
import { DEFAULT_REBUILD, rebuildPnl } from "../src/streams/pnlRebuild.js"
import { fmt, runIfDirect, value } from "./support.js"

const DATABASE = "polybackfill_bench_pnl"
const N = Schema.Union(Schema.Number, Schema.NumberFromString)

/** `fills` rows over `fills / 40` tokens (two per market, half the markets resolved) and `wallets` wallets. */
const generate = (fills: number, wallets: number) =>
  Effect.gen(function* () {
    const ch = yield* ClickHouse
    yield* emptyDatabase
    yield* migrate(MIGRATIONS, () => Effect.void)
    const tokens = Math.max(2, Math.floor(fills / 40))
    yield* ch.command(
      "INSERT INTO market_tokens (token_id, condition_id, outcome_index, outcome, winner, updated_at) " +
        `SELECT toString(number), concat('c', toString(intDiv(number, 2))), number % 2, '', 0, now() FROM numbers(${tokens})`
    )
    yield* ch.command(
      "INSERT INTO market_resolutions (condition_id, outcome_slot_count, payout_numerators, payout_denominator, winning_outcome_index, is_void, resolved_at, source, updated_at) " +
        `SELECT concat('c', toString(number)), 2, if(number % 4 = 0, [1, 0], [0, 1]), 1, if(number % 4 = 0, 0, 1), 0, now(), 'rpc', now() FROM numbers(${Math.floor(tokens / 2)}) WHERE number % 2 = 0`
    )
    // Row i is trade k = i / 2: even rows buy, odd rows sell, the same token, size and price.
    yield* ch.command(
      "INSERT INTO clob_fills (fill_id, tx_hash, order_hash, log_index, block_number, timestamp, era, wallet, side, token_id, condition_id, outcome_index, price, size, usdc, fee_asset, is_taker_leg, source, ingested_at) " +
        "SELECT concat('f', toString(number)), concat('t', toString(k)), concat('o', toString(number)), toInt32(number % 2), k, toDateTime(1700000000 + k), 'v2', " +
        `concat('w', toString(cityHash64(number) % ${wallets})), if(number % 2 = 0, 'BUY', 'SELL'), toString(tok), concat('c', toString(intDiv(tok, 2))), toInt16(tok % 2), ` +
        "price, size, size * price, 'collateral', toUInt8(number % 2), 'rpc', now() FROM (" +
        `SELECT number, intDiv(number, 2) AS k, cityHash64(k, 1) % ${tokens} AS tok, (1 + cityHash64(k, 2) % 98) / 100 AS price, toFloat64(1 + cityHash64(k, 3) % 1000) AS size ` +
        `FROM numbers(${fills}))`
    )
  })

const peakFromQueryLog = (sinceSeconds: number) =>
  Effect.gen(function* () {
    const ch = yield* ClickHouse
    yield* ch.command("SYSTEM FLUSH LOGS").pipe(Effect.ignore)
    const rows = yield* ch
      .query(
        `SELECT max(memory_usage) AS peak, count() AS n FROM system.query_log WHERE type = 'QueryFinish' AND event_time >= toDateTime(${sinceSeconds}) AND current_database = '${DATABASE}'`,
        Schema.Struct({ peak: N, n: N })
      )
      .pipe(Effect.orElseSucceed(() => []))
    return rows[0] !== undefined && rows[0].n > 0 ? rows[0].peak : undefined
  })

const runSize = (fills: number, wallets: number) =>
  Effect.gen(function* () {
    const ch = yield* ClickHouse
    const g0 = Date.now()
    yield* generate(fills, wallets)
    console.log(`${fmt(fills)} fills generated in ${fmt((Date.now() - g0) / 1000, 1)} s`)
    let sampledPeak = 0
    const sampler = yield* ch
      .query("SELECT toUInt64(max(memory_usage)) AS m FROM system.processes", Schema.Struct({ m: N }))
      .pipe(
        Effect.tap((r) => Effect.sync(() => (sampledPeak = Math.max(sampledPeak, r[0]?.m ?? 0)))),
        Effect.ignore,
        Effect.repeat(Schedule.spaced("100 millis")),
        Effect.fork
      )
    const since = Math.floor(Date.now() / 1000) - 1
    const t0 = Date.now()
    const snapshot = yield* rebuildPnl({ ...DEFAULT_REBUILD, now: Math.floor(t0 / 1000) }, (line) => Effect.sync(() => console.log(`  ${line}`)))
    const seconds = (Date.now() - t0) / 1000
    yield* Fiber.interrupt(sampler)
    const logged = yield* peakFromQueryLog(since)
    const failed = snapshot.gates.filter((g) => !g.passed).map((g) => g.name)
    return { fills, seconds, peakBytes: logged ?? sampledPeak, peakFrom: logged === undefined ? "system.processes" : "system.query_log", swapped: snapshot.swapped, failed, wallets: snapshot.wallets }
  })

export const main = async (argv: ReadonlyArray<string>): Promise<void> => {
  const sizes = (value(argv, "--sizes") ?? "1000000,10000000").split(",").map(Number)
  const wallets = Number(value(argv, "--wallets") ?? 50_000)
  const url = value(argv, "--clickhouse-url") ?? process.env["CLICKHOUSE_URL"]
  const layer = layerClickHouseFromOptions(
    { clickhouseUrl: Option.fromNullable(url), database: Option.some(DATABASE), stateDir: process.env["POLYBACKFILL_STATE_DIR"] ?? "./.polybackfill" },
    { createDatabase: true }
  )
  const results = await Effect.runPromise(
    Effect.gen(function* () {
      const out = []
      for (const size of sizes) {
        const r = yield* runSize(size, wallets)
        const previous = out[out.length - 1]
        const ratio = previous === undefined ? "" : `, ${fmt(r.seconds / previous.seconds, 2)}x the time of ${fmt(previous.fills)} for ${fmt(r.fills / previous.fills, 1)}x the fills`
        console.log(
          `pnl rebuild of ${fmt(r.fills)} fills (${fmt(r.wallets)} wallets): ${fmt(r.seconds, 1)} s, ${fmt(r.fills / r.seconds)} fills/s${ratio}; ` +
            `peak ClickHouse query memory ${fmt(r.peakBytes / 2 ** 20)} MiB (${r.peakFrom}); gate ${r.failed.length === 0 ? "passed, swapped" : `failed: ${r.failed.join(", ")}`}`
        )
        out.push(r)
      }
      yield* emptyDatabase
      return out
    }).pipe(Effect.scoped, Effect.provide(layer))
  )
  if (results.some((r) => !r.swapped)) process.exitCode = 1
}

runIfDirect(import.meta.url, main)
