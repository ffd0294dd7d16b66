import { Command } from "@effect/cli"
import { clickhouseCommand } from "./clickhouse.js"
import { decodeLogCommand } from "./decodeLog.js"
import { demoCommand } from "./demo.js"
import { migrateCommand } from "./migrate.js"
import { planCommand } from "./plan.js"
import { EXIT_CODES } from "./report.js"
import { runCommand } from "./run.js"
import { statusCommand } from "./status.js"
import { simulateCommand } from "./simulate.js"
import { VERSION } from "./version.js"

export const rootCommand = Command.make("polybackfill").pipe(
  Command.withDescription(`Backfill Polymarket trading history into ClickHouse and keep it whole. ${EXIT_CODES}`),
  Command.withSubcommands([demoCommand, migrateCommand, planCommand, runCommand, statusCommand, clickhouseCommand, simulateCommand, decodeLogCommand])
)

export const cli = Command.run(rootCommand, { name: "polybackfill", version: VERSION })
