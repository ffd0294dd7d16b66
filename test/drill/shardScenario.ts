import { Effect, Schema } from "effect"
import { inShard, shardHash } from "../../src/domain/units.js"
import { awaitExit, describeExit, spawnCli, tail } from "./child.js"
import type { DrillOptions } from "./common.js"
import { Checks, comparedOutcome, drillWorld, goldskyLatency, scenario, simulator } from "./common.js"
import { drillDatabaseName, fillDuplicates, fillUnits, openDatabase, prepareFills, statusLine } from "./database.js"
import { compareFills, countByMarket, describeComparison } from "./groundTruth.js"
import { fillTruths, readFills } from "../support/fills.js"

const SHARDS = 3
const N = Schema.Union(Schema.Number, Schema.NumberFromString)
const Beat = Schema.Struct({ run_id: Schema.String, shard: Schema.String, units_done: N })

/**
 * Scenario 4: three `polybackfill run fills --shard i/3` at once against one database. The union must
 * be exact, and no unit done twice: each unit's final run is the process of its shard, its row count
 * is its market's fills (not twice that), and the processes' done counts add up to the units.
 */
export const shardScenario = (options: DrillOptions) =>
  scenario(
    "4. three shards at once",
    Effect.gen(function* () {
      const checks = new Checks()
      const sim = yield* simulator({ world: drillWorld(options.seed + 4, options.markets, 40), knobs: goldskyLatency(20, 60) })
      const clickhouse = yield* openDatabase(options.serverUrl, drillDatabaseName("shards"), { drop: true })
      const units = yield* prepareFills(clickhouse, sim)
      const truth = fillTruths(sim.world)
      const perMarket = countByMarket(truth)

      const base = ["run", "fills", "--database", clickhouse.database, "--goldsky-url", sim.goldskyUrl, "--flush-interval", "200ms", "--workers", "4"]
      const children = yield* Effect.forEach([0, 1, 2], (i) => spawnCli([...base, "--shard", `${i}/${SHARDS}`], options.serverUrl))
      const exits = yield* Effect.forEach(children, (c) => awaitExit(c, "180 seconds"), { concurrency: "unbounded" })
      exits.forEach((e, i) => checks.check(e.code === 0, () => `shard ${i}: ${describeExit(e)}: ${tail(children[i]!.output())}`))
      const runIds = children.map((c) => c.runId())
      checks.check(runIds.every((r) => r !== undefined) && new Set(runIds).size === SHARDS, `run ids not found in the output: ${runIds.join(", ")}`)

      const unitRows = yield* fillUnits(clickhouse)
      checks.check(unitRows.length === units && unitRows.every((u) => u.status === "done"), () => `units not all done: ${statusLine(unitRows)}`)
      const wrongRun = unitRows.filter((u) => runIds.findIndex((r) => r === u.run_id) !== shardHash(u.unit_key) % SHARDS)
      checks.check(wrongRun.length === 0, () => `${wrongRun.length} units finished by a process of another shard (e.g. ${wrongRun[0]?.unit_key})`)
      const twice = unitRows.filter((u) => u.rows !== (perMarket.get(u.unit_key) ?? 0) || u.attempts !== 1)
      checks.check(twice.length === 0, () => `${twice.length} units with rows or attempts of more than one pass (e.g. ${twice[0]?.unit_key}: ${twice[0]?.rows} rows, ${twice[0]?.attempts} attempts)`)
      const beats = yield* clickhouse.query("SELECT run_id, shard, units_done FROM worker_heartbeats FINAL WHERE job = 'fills'", Beat)
      const perShard = [0, 1, 2].map((i) => unitRows.filter((u) => inShard({ index: i, count: SHARDS }, shardHash(u.unit_key))).length)
      const doneBy = runIds.map((r) => beats.find((b) => b.run_id === r)?.units_done ?? -1)
      checks.check(doneBy.every((n, i) => n === perShard[i]), `done per process ${doneBy.join("+")} is not the shards' sizes ${perShard.join("+")}`)

      const comparison = compareFills(yield* readFills(clickhouse), truth)
      checks.check(comparison.exact, describeComparison(comparison))
      const dups = yield* fillDuplicates(clickhouse)
      checks.check(dups.afterFinal === 0, `${dups.afterFinal} duplicate fill ids under FINAL`)
      checks.check(dups.beforeFinal === 0, `${dups.beforeFinal} fills inserted twice`)
      return comparedOutcome(
        comparison,
        dups,
        checks,
        "union exact, none done twice",
          `${units} units split ${perShard.join("/")} by shardHash; the three processes (exits ${exits.map((e) => e.code).join(", ")}) ` +
          `reported ${doneBy.join("+")} units done in their heartbeats; every unit's final run_id is its shard's process, ` +
          `with its market's row count and 1 attempt; no fill inserted twice; ${describeComparison(comparison)}`
      )
    })
  )
