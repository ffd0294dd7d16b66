import { Command } from "@effect/cli"
import { clickhouseCommand } from "./clickhouse.js"
import { decodeLogCommand } from "./decodeLog.js"
import { demoCommand } from "./demo.js"
import { leaderboardCommand } from "./leaderboard.js"
import { migrateCommand } from "./migrate.js"
import { planCommand } from "./plan.js"
import { pnlCommand } from "./pnl.js"
import { runCommand } from "./run.js"
import { statusCommand } from "./status.js"
import { simulateCommand } from "./simulate.js"
import { VERSION } from "./version.js"

export const rootCommand = Command.make("polybackfill").pipe(
  Command.withDescription("Backfill Polymarket trading history into ClickHouse and keep it whole."),
  Command.withSubcommands([demoCommand, migrateCommand, planCommand, runCommand, statusCommand, clickhouseCommand, simulateCommand, decodeLogCommand, pnlCommand, leaderboardCommand])
)

export const cli = Command.run(rootCommand, { name: "polybackfill", version: VERSION })
