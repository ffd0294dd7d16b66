/**
 * `npm run drill -- [flags]`: the fault drill of issue 5, longer than the test suite's, printing one
 * table (scenario × rows expected × rows found × duplicates before/after FINAL × outcome). Exits 1
 * when a scenario fails.
 *
 *   --markets N          markets of the worlds of scenarios 2-5 (default 400; scenario 1 uses more)
 *   --kills N            SIGKILLs in scenario 1 (default 8, at least 5)
 *   --outage-seconds N   how long ClickHouse stays down in scenario 2 (default 20)
 *   --seed N             world and kill-moment seed (default 5)
 *   --clickhouse-url U   the ClickHouse of scenarios 1, 3-5 (default: CLICKHOUSE_URL, else a local
 *                        server started for the drill in a temporary state dir and stopped after)
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { ensureLocalClickHouse, stopLocalClickHouse } from "../src/layers/LocalClickHouse.js"
import { formatDrillTable, LONG_DRILL, runDrill } from "../test/drill/scenarios.js"

const USAGE = "usage: npm run drill -- [--markets N] [--kills N] [--outage-seconds N] [--seed N] [--clickhouse-url URL]"

const parse = (argv: ReadonlyArray<string>) => {
  const flags = new Map<string, string>()
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i]!
    const value = argv[i + 1]
    if (!["--markets", "--kills", "--outage-seconds", "--seed", "--clickhouse-url"].includes(name) || value === undefined) {
      throw new Error(`${name === "--help" ? "" : `bad flag ${name}\n`}${USAGE}`)
    }
    flags.set(name, value)
  }
  const whole = (name: string, fallback: number, min: number) => {
    const text = flags.get(name)
    if (text === undefined) return fallback
    const n = Number(text)
    if (!Number.isSafeInteger(n) || n < min) throw new Error(`${name} must be a whole number of at least ${min}, got "${text}"\n${USAGE}`)
    return n
  }
  return {
    markets: whole("--markets", LONG_DRILL.markets, 20),
    kills: whole("--kills", LONG_DRILL.kills, 5),
    outageSeconds: whole("--outage-seconds", LONG_DRILL.outageSeconds, 1),
    seed: whole("--seed", LONG_DRILL.seed, 0),
    clickhouseUrl: flags.get("--clickhouse-url") ?? process.env["CLICKHOUSE_URL"]
  }
}

/** The given server, or a local one of the drill's own for as long as the drill runs. */
const withServer = <A>(url: string | undefined, use: (url: string) => Promise<A>): Promise<A> => {
  if (url !== undefined && url !== "") return use(url)
  const stateDir = mkdtempSync(join(tmpdir(), "polybackfill-drill-"))
  return Effect.runPromise(ensureLocalClickHouse(stateDir))
    .then((server) => use(server.url))
    .finally(() => Effect.runPromise(Effect.ignore(stopLocalClickHouse(stateDir))).then(() => rmSync(stateDir, { recursive: true, force: true })))
}

const main = async (argv: ReadonlyArray<string>): Promise<boolean> => {
  const options = parse(argv)
  const started = Date.now()
  const results = await withServer(options.clickhouseUrl, (serverUrl) =>
    Effect.runPromise(
      runDrill({
        serverUrl,
        seed: options.seed,
        markets: options.markets,
        kills: options.kills,
        outageSeconds: options.outageSeconds,
        say: (line) => console.error(line)
      })
    )
  )
  console.log(`fault drill (seed ${options.seed}, ${options.markets} markets, ${options.kills} kills, ${options.outageSeconds} s outage), ${((Date.now() - started) / 1000).toFixed(0)} s\n`)
  console.log(formatDrillTable(results))
  return results.every((r) => r.passed)
}

main(process.argv.slice(2).filter((a) => a !== "--")).then(
  (ok) => process.exit(ok ? 0 : 1),
  (e) => {
    console.error(e instanceof Error ? e.message : e)
    process.exit(2)
  }
)
