import type { Migration } from "../../streams/migrate.js"
import { initialSchema } from "./0001_initial_schema.js"
import { chainTables } from "./0002_chain_tables.js"
import { runEndings } from "./0003_run_endings.js"
import { tradesViews } from "./0004_trades.js"
import { pnlTables } from "./0005_pnl.js"

/** Every migration, oldest first. A schema change is a new file here with the next version, never an edit. */
export const MIGRATIONS: ReadonlyArray<Migration> = [initialSchema, chainTables, runEndings, tradesViews, pnlTables]
