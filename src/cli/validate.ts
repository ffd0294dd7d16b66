import { Command } from "@effect/cli"
import { Console, Effect } from "effect"
import { formatGate, tradesGates } from "../streams/validate.js"
import { layerClickHouseFromOptions } from "./clickhouseLayer.js"
import { clickhouseOptions, logOptions, withLogging } from "./common.js"

/** Failing gates: the command exits 1 after printing every gate. */
class GatesFailed extends Error {}

export const validateCommand = Command.make("validate", { ...clickhouseOptions, ...logOptions }, (opts) =>
  Effect.gen(function* () {
    const gates = yield* tradesGates.pipe(Effect.provide(layerClickHouseFromOptions(opts)))
    for (const gate of gates) for (const line of formatGate(gate)) yield* Console.log(line)
    const failed = gates.filter((g) => !g.ok)
    if (failed.length > 0) return yield* Effect.fail(new GatesFailed(`${failed.length} of ${gates.length} checks failed: ${failed.map((g) => g.name).join("; ")}`))
    yield* Console.log(`all ${gates.length} checks passed`)
  }).pipe(withLogging(opts))
).pipe(Command.withDescription("Check the database: required tables and views, no duplicate external trades, no market both in CLOB and external rows"))
