/**
 * `npm run bench -- <name> [flags]`: runs bench/<name>.ts (fills, onchain, governor, simulator, trades, pnl).
 *
 *   node_modules/.bin/vite-node bench/run.ts -- fills --quick
 */
type Bench = { readonly main: (argv: ReadonlyArray<string>) => Promise<void> }
const BENCHES: Record<string, () => Promise<Bench>> = {
  fills: () => import("./fills.js"),
  onchain: () => import("./onchain.js"),
  governor: () => import("./governor.js"),
  simulator: () => import("./simulator.js"),
  trades: () => import("./trades.js"),
  pnl: () => import("./pnl.js")
}

const main = async () => {
  const argv = process.argv.slice(2).filter((a) => a !== "--")
  const [name, ...rest] = argv
  const load = name === undefined ? undefined : BENCHES[name]
  if (load === undefined) {
    console.error(`usage: npm run bench -- <${Object.keys(BENCHES).join("|")}> [flags]`)
    process.exit(2)
  }
  // Tells the bench module not to run itself on import: this dispatcher calls its main.
  process.env["POLYBACKFILL_BENCH_DISPATCH"] = "1"
  await (await load()).main(rest)
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e)
    process.exit(1)
  }
)
