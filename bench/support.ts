/** What the benchmarks share: the simulator and the built CLI as child processes, /proc readings, ClickHouse over raw HTTP. */
import { spawn } from "node:child_process"
import type { ChildProcess } from "node:child_process"
import { createReadStream, createWriteStream, readdirSync, readFileSync, statSync } from "node:fs"
import { request } from "node:http"
import { dirname, join, resolve } from "node:path"
import { createInterface } from "node:readline"
import { pipeline } from "node:stream/promises"
import { fileURLToPath, pathToFileURL } from "node:url"
import type { SummaryLine } from "../src/streams/engine.js"
import { parseSummary } from "../src/streams/engine.js"

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..")

export interface Sim {
  readonly gammaUrl: string
  readonly dataApiUrl: string
  readonly goldskyUrl: string
  readonly rpcUrl: string
  readonly statsUrl: string
  readonly child: ChildProcess
}

/** `polybackfill simulate` in a child process, so its CPU and memory are not the engine's. */
export const startSim = (args: ReadonlyArray<string>): Promise<Sim> =>
  new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(ROOT, "node_modules", "vite-node", "vite-node.mjs"), "--root", ROOT, join(ROOT, "src", "main.ts"), "--", "simulate", "--port", "0", ...args], {
      stdio: ["ignore", "pipe", "inherit"]
    })
    const urls: Record<string, string> = {}
    const lines = createInterface({ input: child.stdout! })
    lines.on("line", (line) => {
      const m = /--(gamma-url|data-api-url|goldsky-url|rpc-url) (\S+)/.exec(line)
      if (m !== null) urls[m[1]!] = m[2]!
      const s = /stats: (\S+)/.exec(line)
      if (s !== null) urls["stats"] = s[1]!
      if (line.startsWith("Serving on")) {
        resolvePromise({ gammaUrl: urls["gamma-url"]!, dataApiUrl: urls["data-api-url"]!, goldskyUrl: urls["goldsky-url"]!, rpcUrl: urls["rpc-url"]!, statsUrl: urls["stats"]!, child })
      } else if (!/^\s+--|stats:/.test(line)) process.stdout.write(`  simulator: ${line}\n`)
    })
    child.once("exit", (code) => reject(new Error(`simulator exited with ${code}`)))
  })

export const stopSim = (sim: Sim) =>
  new Promise<void>((res) => {
    sim.child.removeAllListeners("exit")
    sim.child.once("exit", () => res())
    sim.child.kill("SIGINT")
  })

/** CPU seconds a process has used so far (Linux /proc; 0 elsewhere). */
export const cpuSecondsOf = (pid: number | undefined): number => {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return 0
  }
}

export const simRequests = async (sim: Sim, reset = false): Promise<number> => {
  const body = (await (await fetch(`${sim.statsUrl}${reset ? "?reset=1" : ""}`)).json()) as { totals: { requests: number } }
  return body.totals.requests
}

/** One HTTP request to ClickHouse with a file as body or a file as destination, streamed (no rows in memory). */
export const clickhouseHttp = (baseUrl: string, query: string, io: { readonly upload?: string; readonly download?: string }) =>
  new Promise<void>((resolvePromise, reject) => {
    const url = new URL(baseUrl)
    url.searchParams.set("query", query)
    const req = request(url, { method: io.upload !== undefined ? "POST" : "GET" }, (res) => {
      if (res.statusCode !== 200) {
        let text = ""
        res.on("data", (d) => (text += String(d)))
        res.on("end", () => reject(new Error(`ClickHouse answered ${res.statusCode}: ${text.slice(0, 300)}`)))
        return
      }
      if (io.download !== undefined) pipeline(res, createWriteStream(io.download)).then(() => resolvePromise(), reject)
      else res.resume().on("end", () => resolvePromise())
    })
    req.on("error", reject)
    if (io.upload !== undefined) pipeline(createReadStream(io.upload), req).catch(reject)
    else req.end()
  })

export const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })

/** The pid of the local ClickHouse this bench uses, when it is the project's own (CLICKHOUSE_URL: unknown). */
export const localClickHousePid = (): number | undefined => {
  if (process.env["CLICKHOUSE_URL"] !== undefined) return undefined
  try {
    return (JSON.parse(readFileSync(join(ROOT, ".polybackfill", "clickhouse", "state.json"), "utf8")) as { pid?: number }).pid
  } catch {
    return undefined
  }
}

/** Peak resident memory of a live process in MB (Linux /proc VmHWM; 0 elsewhere). */
export const peakRssMbOf = (pid: number | undefined): number => {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))
    return m === null ? 0 : Number(m[1]) / 1024
  } catch {
    return 0
  }
}

export const CLI = join(ROOT, "dist", "main.js")

/** The newest modification time of a file under `dir`, in ms. */
export const newestUnder = (dir: string): number =>
  Math.max(0, ...readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => statSync(join(e.parentPath, e.name)).mtimeMs))

/** The bench measures the built CLI: a build older than the sources would measure old code. */
export const checkBuilt = (): void => {
  let built = 0
  try {
    built = statSync(CLI).mtimeMs
  } catch {
    // not built
  }
  if (built < newestUnder(join(ROOT, "src"))) throw new Error(`${CLI} is missing or older than src/: run \`npm run build\` (npm run bench builds first)`)
}

/**
 * `polybackfill run <job>` as users run it: the built CLI in a process of its own, so its peak RSS and
 * CPU are the engine's alone (not this bench's TypeScript loader). Both are read from /proc until it
 * exits; the wall time includes its start and the load of the plan.
 */
export const runCliJob = (job: string, args: ReadonlyArray<string>): Promise<{ summary: SummaryLine; seconds: number; peakRssMb: number; cpu: number }> =>
  new Promise((resolvePromise, reject) => {
    const t0 = performance.now()
    const child = spawn(
      process.execPath,
      [CLI, "run", job, ...args, "--log-format", "logfmt"],
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, POLYBACKFILL_STATE_DIR: join(ROOT, ".polybackfill") } }
    )
    let peakRssMb = 0
    let cpu = 0
    const poll = setInterval(() => {
      peakRssMb = Math.max(peakRssMb, peakRssMbOf(child.pid))
      cpu = Math.max(cpu, cpuSecondsOf(child.pid))
    }, 200)
    let summary: SummaryLine | undefined
    const lines: Array<string> = []
    const onLine = (line: string) => {
      summary = parseSummary(job, line) ?? summary
      lines.push(line)
      if (lines.length > 20) lines.shift()
      if (/level=(INFO|WARN|ERROR)/.test(line)) console.log(`  cli: ${line.replace(/^timestamp=\S+ /, "")}`)
    }
    createInterface({ input: child.stdout! }).on("line", onLine)
    createInterface({ input: child.stderr! }).on("line", onLine)
    child.once("error", reject)
    child.once("exit", (code) => {
      clearInterval(poll)
      const seconds = (performance.now() - t0) / 1000
      if (code !== 0 || summary === undefined) reject(new Error(`polybackfill run ${job} exited with ${code}:\n${lines.join("\n")}`))
      else resolvePromise({ summary, seconds, peakRssMb, cpu })
    })
  })

export const value = (argv: ReadonlyArray<string>, name: string): string | undefined => {
  const i = argv.indexOf(name)
  return i >= 0 ? argv[i + 1] : undefined
}


/** Runs a bench's main when its file is run directly (node, or vite-node, which drops the script from argv), not when bench/run.ts imports it. */
export const runIfDirect = (moduleUrl: string, main: (argv: ReadonlyArray<string>) => Promise<void>): void => {
  const entry = process.argv[1] ?? ""
  const direct = /vite-node(\.mjs)?$/.test(entry) ? process.env["POLYBACKFILL_BENCH_DISPATCH"] === undefined : moduleUrl === pathToFileURL(entry).href
  if (!direct) return
  main(process.argv.slice(2)).then(
    () => process.exit(0),
    (e) => {
      console.error(e)
      process.exit(1)
    }
  )
}
