import { Command } from "@effect/cli"
import { Console, Effect } from "effect"
import { processTerminal, terminalConsole } from "../layers/Terminal.js"
import { clickhouseCommand } from "./clickhouse.js"
import { decodeLogCommand } from "./decodeLog.js"
import { demoCommand } from "./demo.js"
import { helpRequested, renderHelp } from "./help.js"
import { leaderboardCommand } from "./leaderboard.js"
import { migrateCommand } from "./migrate.js"
import { planCommand } from "./plan.js"
import { pnlCommand } from "./pnl.js"
import { resetCommand } from "./reset.js"
import { EXIT_CODES } from "./report.js"
import { runCommand } from "./run.js"
import { statusCommand } from "./status.js"
import { simulateCommand } from "./simulate.js"
import { validateCommand } from "./validate.js"
import { VERSION } from "./version.js"

export const rootCommand = Command.make("polybackfill").pipe(
  Command.withDescription(`Backfill Polymarket trading history into ClickHouse and keep it whole. ${EXIT_CODES}`),
  Command.withSubcommands([demoCommand, migrateCommand, planCommand, runCommand, statusCommand, resetCommand, validateCommand, clickhouseCommand, simulateCommand, decodeLogCommand, pnlCommand, leaderboardCommand])
)

const app = Command.run(rootCommand, { name: "polybackfill", version: VERSION })

/**
 * The CLI, with everything it prints going through the terminal writer (Console and the loggers that
 * print through it), and `--help` rendered within the terminal's width.
 */
export const cli = (argv: ReadonlyArray<string>) => {
  const terminal = processTerminal()
  return Effect.gen(function* () {
    const help = yield* helpRequested(rootCommand, "polybackfill", VERSION, argv.slice(2))
    if (help === undefined) return yield* app(argv)
    const bold = (text: string) => (terminal.colour("out") ? `\x1b[1m${text}\x1b[0m` : text)
    yield* Console.log(renderHelp(help, Math.min(terminal.width("out"), 120), bold))
  }).pipe(Effect.withConsole(terminalConsole(terminal)))
}
