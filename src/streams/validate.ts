import { Clock, Effect } from "effect"
import { Trades, TRADES_OBJECTS } from "../domain/statements.js"
import type { Coverage, Growth } from "../domain/tradesCoverage.js"
import { growthOf, growthResult } from "../domain/tradesCoverage.js"
import { ClickHouse } from "../services/ClickHouse.js"

/** One check of `validate`: what it asked, what came back, and whether it passed. */
export interface Gate {
  readonly name: string
  readonly query: string
  readonly result: string
  readonly ok: boolean
}

export const DEFAULT_GROWTH_DAYS = 14

/**
 * The external-trade runbook's checks: the tables and views it reads exist; no external_trade_id
 * twice after FINAL; no market with both CLOB and external rows in the union view; no day without
 * trades in the last `days` days (see growthOf), with the trades per day and source. A gate whose
 * objects are missing fails with the reason instead of stopping the others.
 */
export const tradesGates = (days: number = DEFAULT_GROWTH_DAYS) =>
  Effect.gen(function* () {
    const ch = yield* ClickHouse
    const gates: Array<Gate> = []
    const objects = yield* ch.query(Trades.objects.sql(), Trades.objects.rows)
    const present = new Set(objects.map((o) => o.name))
    const missing = TRADES_OBJECTS.filter((t) => !present.has(t))
    gates.push({
      name: "required tables and views",
      query: Trades.objects.sql(),
      result: missing.length === 0 ? objects.map((o) => `${o.name} (${o.engine})`).join(", ") : `missing: ${missing.join(", ")} (run \`polybackfill migrate\`)`,
      ok: missing.length === 0
    })
    const run = <A>(name: string, sql: string, read: Effect.Effect<A, unknown>, judge: (a: A) => { result: string; ok: boolean }) =>
      Effect.map(
        Effect.either(read),
        (r): Gate => (r._tag === "Right" ? { name, query: sql, ...judge(r.right) } : { name, query: sql, result: `failed: ${String((r.left as { message?: string }).message ?? r.left).split("\n")[0]}`, ok: false })
      )
    gates.push(
      yield* run("no duplicate external_trade_id after FINAL", Trades.duplicateIds.sql(), ch.query(Trades.duplicateIds.sql(), Trades.duplicateIds.rows), (rows) => {
        const r = rows[0] ?? { ids: 0, rows: 0 }
        return { result: `${r.ids} ids on more than one row (${r.rows} rows)`, ok: r.ids === 0 }
      })
    )
    gates.push(
      yield* run("no market with both CLOB and external rows in pm_trades_with_external", Trades.overlap.sql(), ch.query(Trades.overlap.sql(), Trades.overlap.rows), (rows) => {
        const n = rows[0]?.markets ?? 0
        return { result: `${n} markets`, ok: n === 0 }
      })
    )
    let growth: Growth = { days: [], empty: [] }
    gates.push(
      yield* run("no day without trades in pm_trades_with_external", Trades.perDay.sql(), ch.query(Trades.perDay.sql(), Trades.perDay.rows), (rows) => {
        growth = growthOf(rows, days)
        return { result: growthResult(growth, days), ok: growth.empty.length === 0 }
      })
    )
    return { gates, growth }
  })

/** The coverage report's figures: the view per data source and the wallet plan, with the gates already run (a missing view counts nothing here; its gate says why). */
export const tradesCoverage = (checked: { readonly gates: ReadonlyArray<Gate>; readonly growth: Growth }, days: number) =>
  Effect.gen(function* () {
    const ch = yield* ClickHouse
    const perSource = yield* ch.query(Trades.perSource.sql(), Trades.perSource.rows).pipe(Effect.orElseSucceed(() => []))
    const plan = yield* ch.query(Trades.planStatuses.sql(), Trades.planStatuses.rows).pipe(Effect.orElseSucceed(() => []))
    const now = yield* Clock.currentTimeMillis
    const coverage: Coverage = { database: ch.database, generatedAt: new Date(now).toISOString(), perSource, plan, days, ...checked }
    return coverage
  })

export const formatGate = (g: Gate): ReadonlyArray<string> => [`${g.ok ? "ok  " : "FAIL"} ${g.name}: ${g.result}`, `     ${g.query}`]
