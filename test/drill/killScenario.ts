import { Effect } from "effect"
import { Rng } from "../../src/domain/prng.js"
import { DEAD_AFTER_S } from "../../src/streams/heartbeat.js"
import { describeExit, runCliToEnd, spawnCli, tail, waitWhileRunning } from "./child.js"
import type { DrillOptions } from "./common.js"
import { Checks, comparedOutcome, drillWorld, goldskyLatency, scenario, simulator } from "./common.js"
import { doneUnits, drillDatabaseName, fillDuplicates, fillUnits, openDatabase, prepareFills, statusLine } from "./database.js"
import { compareFills, countByMarket, describeComparison, doneWithoutRows } from "./groundTruth.js"
import { fillTruths, readFills } from "../support/fills.js"

/** Enough units that every kill lands mid-run (each run is killed after at most 30 more units are done). */
export const killWorldMarkets = (options: Pick<DrillOptions, "markets" | "kills">) => Math.max(options.markets, 40 * options.kills + 200)

/**
 * Scenario 1: `polybackfill run fills` SIGKILLed at seeded random moments (after a random number of
 * further units are done, plus a random pause), `kills` times in a row, each kill on a resumed run;
 * then one run to completion. clob_fills FINAL must equal the ground truth and every unit be done.
 */
export const killScenario = (options: DrillOptions) =>
  scenario(
    `1. SIGKILL x${options.kills}, resume`,
    Effect.gen(function* () {
      const checks = new Checks()
      const rng = new Rng(options.seed, 0x6b111)
      const sim = yield* simulator({ world: drillWorld(options.seed, killWorldMarkets(options), 25), knobs: goldskyLatency(15, 40) })
      const clickhouse = yield* openDatabase(options.serverUrl, drillDatabaseName("kill"), { drop: true })
      const units = yield* prepareFills(clickhouse, sim)
      const truth = fillTruths(sim.world)
      const perMarket = countByMarket(truth)
      const base = ["run", "fills", "--database", clickhouse.database, "--goldsky-url", sim.goldskyUrl, "--flush-interval", "200ms", "--checkpoint-interval", "100"]
      // Two workers: slow enough to be killed mid-run; the final run may go faster.
      const args = [...base, "--workers", "2"]

      const kills: Array<string> = []
      const selfEnded: Array<string> = []
      for (let run = 1; kills.length < options.kills && run <= options.kills * 3; run++) {
        const more = rng.int(3, 30)
        const pauseMs = rng.int(0, 400)
        const before = yield* doneUnits(clickhouse)
        const ended = yield* Effect.scoped(
          Effect.gen(function* () {
            const child = yield* spawnCli(args, options.serverUrl)
            const how = yield* waitWhileRunning(child, Effect.map(doneUnits(clickhouse), (n) => n >= before + more), "120 seconds")
            if (how === "met") yield* Effect.sleep(pauseMs)
            const exit = how === "met" ? yield* child.sigkill : yield* child.exit
            return { exit, output: child.output() }
          })
        )
        if (ended.exit.signal !== "SIGKILL") {
          const summary = ended.output.split("\n").find((l) => l.startsWith("fills: ")) ?? tail(ended.output, 2)
          selfEnded.push(`run ${run} ended by itself (${describeExit(ended.exit)}: "${summary}")`)
          checks.check(ended.exit.code === 0, `run ${run}: ${describeExit(ended.exit)}: ${tail(ended.output)}`)
          continue
        }
        const after = yield* doneUnits(clickhouse)
        kills.push(`+${after - before}`)
        const missing = yield* doneWithoutRows(clickhouse, perMarket)
        checks.check(missing.length === 0, `after kill ${kills.length}: ${missing.length} done units lack rows (e.g. ${missing[0]})`)
        options.say(`  kill ${kills.length}: ${after} of ${units} units done`)
      }
      checks.check(kills.length >= options.kills, `only ${kills.length} of ${options.kills} kills landed mid-run (${selfEnded.join(", ")})`)

      // The killed runs' claims are taken back at once, heartbeats fresh or not: their processes are gone.
      const stranded = (yield* fillUnits(clickhouse)).filter((u) => u.status === "in_progress").length
      checks.check(stranded > 0, "the killed runs left no unit in_progress: the kills did not land mid-unit")
      options.say(`  ${stranded} units left in_progress by killed runs; final run`)
      const final = yield* runCliToEnd([...base, "--workers", "16"], options.serverUrl, "180 seconds")
      checks.check(final.exit.code === 0, `final run: ${describeExit(final.exit)}: ${tail(final.output)}`)

      const unitRows = yield* fillUnits(clickhouse)
      checks.check(unitRows.length === units && unitRows.every((u) => u.status === "done"), `units not all done: ${statusLine(unitRows)}`)
      const short = unitRows.filter((u) => u.rows < (perMarket.get(u.unit_key) ?? 0))
      checks.check(short.length === 0, `${short.length} units count fewer rows than their market has`)
      const comparison = compareFills(yield* readFills(clickhouse), truth)
      checks.check(comparison.exact, describeComparison(comparison))
      const dups = yield* fillDuplicates(clickhouse)
      checks.check(dups.afterFinal === 0, `${dups.afterFinal} duplicate fill ids under FINAL`)
      return comparedOutcome(
        comparison,
        dups,
        checks,
        `exact after ${kills.length} kills`,
          `${units} units; killed after ${kills.join(", ")} more units done (seed ${options.seed})` +
          `${selfEnded.length > 0 ? `, ${selfEnded.join(", ")}` : ""}` +
          `; ${stranded} units left in_progress by the killed runs were taken back by the final run at once ` +
          `(same host, pid gone; no wait for the ${DEAD_AFTER_S} s heartbeat timeout); ${describeComparison(comparison)}`
      )
    })
  )
