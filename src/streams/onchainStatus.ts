import { Effect, Either, Schema } from "effect"
import { formatCount } from "../domain/progress.js"
import type { BackfillUnitRow } from "../domain/tables.js"
import { UnitStore } from "../services/UnitStore.js"
import { COUNT_KINDS, DayCursor } from "./jobs/onchain.js"
import type { RpcHealthRow } from "./rpcHealth.js"

const decodeCursor = Schema.decodeUnknownEither(DayCursor)
const SHOWN_DAYS = 10

/** Rows per kind a day wrote (from its cursor: only what ClickHouse acknowledged), undefined before its first page. */
const countsOf = (u: BackfillUnitRow) => (u.cursor === "" ? undefined : Either.getOrUndefined(decodeCursor(u.cursor)))

const dayLine = (u: BackfillUnitRow): string => {
  const c = countsOf(u)
  const counts = c === undefined ? "no rows yet" : COUNT_KINDS.map((k) => `${k} ${formatCount(c.counts[k])}`).join(" · ")
  const kinds = c !== undefined && c.kinds.length < 3 ? ` (kinds ${c.kinds.join(",")})` : ""
  return `    ${u.unit_key.padEnd(10)} ${u.status.padEnd(11)} attempts ${u.attempts} · ${counts}${kinds}`
}

/** `status onchain`'s own lines: rows per kind over every day, the latest days and any not done, and each RPC URL's health. */
export const onchainStatusLines = (health: ReadonlyArray<RpcHealthRow>) =>
  Effect.gen(function* () {
    const units = [...(yield* Effect.flatMap(UnitStore, (s) => s.load("onchain")))].sort((a, b) => (a.unit_key < b.unit_key ? -1 : 1))
    const lines: Array<string> = []
    if (units.length === 0) return lines
    const totals = { fills: 0, erc1155: 0, erc20: 0, resolutions: 0 }
    for (const u of units) {
      const c = countsOf(u)
      if (c !== undefined) for (const k of COUNT_KINDS) totals[k] += c.counts[k]
    }
    lines.push(`  rows by kind: ${COUNT_KINDS.map((k) => `${k} ${formatCount(totals[k])}`).join(" · ")}`)
    const notDone = units.filter((u) => u.status !== "done")
    const latest = units.filter((u) => u.status === "done").slice(-SHOWN_DAYS)
    const shown = [...new Set([...notDone.slice(0, 50), ...latest])].sort((a, b) => (a.unit_key < b.unit_key ? -1 : 1))
    lines.push(`  days (every day not done${notDone.length > 50 ? ", the first 50" : ""}, and the ${latest.length} latest done):`)
    for (const u of shown) lines.push(dayLine(u))
    if (health.length > 0) {
      lines.push(`  RPC URLs (run ${health[0]!.run_id}, keys hidden):`)
      for (const h of health) {
        lines.push(
          `    ${h.url}  ${h.set_aside === 1 ? "set aside · " : ""}limit ${h.workers_limit} · ${Math.round(h.latency_ms)} ms · ` +
            `${Math.round(h.share * 100)}% of ${formatCount(h.requests)} requests · ${formatCount(h.failures)} failures`
        )
      }
    }
    return lines
  })
