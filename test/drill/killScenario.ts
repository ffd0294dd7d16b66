import { Effect, Schedule } from "effect"
import { Rng } from "../../src/domain/prng.js"
import { DEAD_AFTER_S } from "../../src/streams/engine.js"
import { describeExit, runCliToEnd, spawnCli, tail, waitWhileRunning } from "./child.js"
import type { DrillOptions, ScenarioOutcome } from "./common.js"
import { Checks, drillWorld, goldskyLatency, scenario, simulator } from "./common.js"
import { doneUnits, drillDatabaseName, fillDuplicates, fillUnits, freshHeartbeats, openDatabase, prepareFills, statusLine, takeableUnits } from "./database.js"
import { compareFills, countByMarket, describeComparison, doneWithoutRows, fillTruths, readFills } from "./groundTruth.js"

/**
 * A run claims several chunks of units ahead of its workers (4 of 64 today), and a SIGKILLed run's
 * units stay claimed until its heartbeat is DEAD_AFTER_S old: the world is big enough for every
 * resumed run to find pending units; when it is not, the drill waits for the dead runs' units.
 */
export const killWorldMarkets = (options: Pick<DrillOptions, "markets" | "kills">) => Math.max(options.markets, 330 * options.kills + 200)

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
      let waits = 0
      for (let run = 1; kills.length < options.kills && run <= options.kills * 3; run++) {
        const more = rng.int(3, 30)
        const pauseMs = rng.int(0, 400)
        // Enough units for this run to get `more` done before its kill: pending, or left by dead runs.
        const takeable = yield* takeableUnits(clickhouse, DEAD_AFTER_S + 1)
        if (takeable < more + 2) {
          waits++
          yield* takeableUnits(clickhouse, DEAD_AFTER_S + 1).pipe(
            Effect.repeat({ schedule: Schedule.spaced("500 millis"), until: (n) => n >= more + 2 }),
            Effect.timeout("90 seconds")
          )
        }
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

      // The killed runs' claims are taken back once their heartbeats are DEAD_AFTER_S old.
      const stranded = (yield* fillUnits(clickhouse)).filter((u) => u.status === "in_progress").length
      yield* freshHeartbeats(clickhouse, DEAD_AFTER_S + 1).pipe(
        Effect.repeat({ schedule: Schedule.spaced("500 millis"), until: (n) => n === 0 }),
        Effect.timeout("90 seconds")
      )
      options.say(`  killed runs stale; final run`)
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
      return {
        expected: comparison.expected,
        found: comparison.found,
        duplicatesBeforeFinal: dups.beforeFinal,
        duplicatesAfterFinal: dups.afterFinal,
        passed: checks.passed,
        outcome: checks.passed ? `exact after ${kills.length} kills` : "not exact",
        detail:
          `${units} units; killed after ${kills.join(", ")} more units done (seed ${options.seed})` +
          `${selfEnded.length > 0 ? `, ${selfEnded.join(", ")}` : ""}` +
          `${waits > 0 ? `; ${waits} times the drill waited for killed runs' units to become takeable before the next run` : ""}; ${stranded} units left in_progress by the killed runs were taken back ` +
          `by the final run once their heartbeats were ${DEAD_AFTER_S} s old; ${describeComparison(comparison)}` +
          (checks.passed ? "" : `. FAILED: ${checks.failures}`)
      } satisfies ScenarioOutcome
    })
  )
