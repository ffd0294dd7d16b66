/**
 * `npm run bench -- <name> [flags]`: runs bench/<name>.ts (fills, governor, simulator).
 *
 *   node_modules/.bin/vite-node bench/run.ts -- fills --quick
 */
const BENCHES = ["fills", "governor", "simulator"] as const

const main = async () => {
  const argv = process.argv.slice(2).filter((a) => a !== "--")
  const [name, ...rest] = argv
  if (name === undefined || !(BENCHES as ReadonlyArray<string>).includes(name)) {
    console.error(`usage: npm run bench -- <${BENCHES.join("|")}> [flags]`)
    process.exit(2)
  }
  // Tells the bench module not to run itself on import: this dispatcher calls its main.
  process.env["POLYBACKFILL_BENCH_DISPATCH"] = "1"
  const mod = (await import(`./${name}.ts`)) as { main?: (argv: ReadonlyArray<string>) => Promise<void> }
  if (mod.main === undefined) {
    console.error(`bench/${name}.ts exports no main: run it directly with vite-node`)
    process.exit(2)
  }
  await mod.main(rest)
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e)
    process.exit(1)
  }
)
