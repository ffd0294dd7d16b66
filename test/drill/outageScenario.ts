import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Clock, Duration, Effect } from "effect"
import { ensureLocalClickHouse, stopLocalClickHouse } from "../../src/layers/LocalClickHouse.js"
import { awaitExit, describeExit, spawnCli, tail, waitWhileRunning } from "./child.js"
import type { DrillOptions } from "./common.js"
import { Checks, comparedOutcome, drillWorld, goldskyLatency, scenario, simulator } from "./common.js"
import { doneUnits, drillDatabaseName, fillDuplicates, fillUnits, openDatabase, prepareFills, statusLine, whileUnreachable } from "./database.js"
import { compareFills, countByMarket, describeComparison, doneWithoutRows } from "./groundTruth.js"
import { fillTruths, readFills } from "../support/fills.js"

/** A ClickHouse of the drill's own (never the shared one), in a temporary state dir, stopped at the end. */
const ownServer = Effect.gen(function* () {
  const stateDir = yield* Effect.acquireRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), "polybackfill-drill-clickhouse-"))),
    (dir) => stopLocalClickHouse(dir).pipe(Effect.ignore, Effect.zipRight(Effect.sync(() => rmSync(dir, { recursive: true, force: true }))))
  )
  const server = yield* ensureLocalClickHouse(stateDir)
  return { stateDir, url: server.url }
})

/**
 * Scenario 2: the ClickHouse server is stopped mid-run for `outageSeconds` and started again on the same
 * port. The run must wait (its inserts and checkpoints retry with backoff), say that ClickHouse is
 * unreachable, go on by itself and end exact; no unit may be done while its rows are missing.
 */
export const outageScenario = (options: DrillOptions) =>
  scenario(
    `2. ClickHouse down ${options.outageSeconds} s`,
    Effect.gen(function* () {
      const checks = new Checks()
      const server = yield* ownServer
      const sim = yield* simulator({ world: drillWorld(options.seed + 2, options.markets * 2, 40), knobs: goldskyLatency(50, 100) })
      const truth = fillTruths(sim.world)
      const perMarket = countByMarket(truth)
      const database = drillDatabaseName("outage")
      // Clients of the drill live in short scopes: the server waits for open connections when it stops.
      const withClient = <A, E>(f: (ch: Effect.Effect.Success<ReturnType<typeof openDatabase>>) => Effect.Effect<A, E>) =>
        Effect.scoped(Effect.flatMap(whileUnreachable(openDatabase(server.url, database, { drop: false })), f))
      const units = yield* withClient((ch) => prepareFills(ch, sim))

      const args = ["run", "fills", "--database", database, "--goldsky-url", sim.goldskyUrl, "--workers", "4", "--batch-size", "500", "--flush-interval", "200ms", "--checkpoint-interval", "100"]
      const child = yield* spawnCli(args, server.url)
      const atStop = yield* withClient((ch) =>
        Effect.gen(function* () {
          const how = yield* waitWhileRunning(child, Effect.map(doneUnits(ch), (n) => n >= Math.ceil(units / 12)), "120 seconds")
          checks.check(how === "met", () => `the run ended before ClickHouse was stopped (${describeExit(child.ended()!)}): ${tail(child.output())}`)
          return yield* doneUnits(ch)
        })
      )
      options.say(`  stopping ClickHouse with ${atStop} of ${units} units done`)
      // SIGTERM, then SIGKILL after 1 s: left to itself the server keeps serving open connections
      // (the run's keep-alive sockets) for as long as they stay busy, which is not an outage.
      const stopped = yield* stopLocalClickHouse(server.stateDir, { stopTimeout: "1 second" })
      checks.check(stopped._tag === "Stopped", "the drill's ClickHouse was not running when it was to be stopped")
      const downAt = yield* Clock.currentTimeMillis
      yield* Effect.sleep(Duration.seconds(options.outageSeconds))
      const restarted = yield* ensureLocalClickHouse(server.stateDir)
      const upAt = yield* Clock.currentTimeMillis
      checks.check(restarted.url === server.url, `ClickHouse came back at ${restarted.url}, not ${server.url}`)
      checks.check(child.ended() === undefined, () => `the run did not wait for ClickHouse: ${describeExit(child.ended()!)}: ${tail(child.output())}`)
      options.say(`  ClickHouse back after ${((upAt - downAt) / 1000).toFixed(1)} s`)

      const missingAtRestart = yield* withClient((ch) => whileUnreachable(doneWithoutRows(ch, perMarket)))
      checks.check(missingAtRestart.length === 0, `at restart ${missingAtRestart.length} done units lacked rows (e.g. ${missingAtRestart[0]})`)
      const exit = yield* awaitExit(child, "240 seconds")
      const output = child.output()
      checks.check(exit.code === 0, `the run did not complete: ${describeExit(exit)}: ${tail(output)}`)
      const unreachableLines = output.split("\n").filter((l) => /cannot reach ClickHouse/.test(l))
      checks.check(unreachableLines.length > 0, `the run never said that ClickHouse is unreachable: ${tail(output)}`)
      const retries = output.split("\n").filter((l) => /failed, retrying/.test(l)).length

      return yield* withClient((ch) =>
        Effect.gen(function* () {
          const unitRows = yield* fillUnits(ch)
          checks.check(unitRows.length === units && unitRows.every((u) => u.status === "done"), `units not all done: ${statusLine(unitRows)}`)
          const missing = yield* doneWithoutRows(ch, perMarket)
          checks.check(missing.length === 0, `${missing.length} done units lack rows`)
          const comparison = compareFills(yield* readFills(ch), truth)
          checks.check(comparison.exact, describeComparison(comparison))
          const dups = yield* fillDuplicates(ch)
          checks.check(dups.afterFinal === 0, `${dups.afterFinal} duplicate fill ids under FINAL`)
          const said = (unreachableLines[0] ?? "").replace(/^.*message="?/, "").replace(/"?\s*$/, "").slice(0, 160)
          return comparedOutcome(
            comparison,
            dups,
            checks,
            "waited, resumed, exact",
              `${units} units, ClickHouse stopped (${stopped._tag === "Stopped" && stopped.forced ? "SIGKILL after 1 s of SIGTERM" : "SIGTERM"}) with ${atStop} done and back on the same port ${((upAt - downAt) / 1000).toFixed(0)} s later; ` +
              `the run logged ${retries} "failed, retrying" warnings (${unreachableLines.length} saying e.g. "${said}"), exited 0 by itself; ` +
              `no done unit lacked rows at restart or at the end; ${describeComparison(comparison)}`
          )
        })
      )
    })
  )
