import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..")
const VITE_NODE = join(ROOT, "node_modules", "vite-node", "vite-node.mjs")
const MAIN = join(ROOT, "src", "main.ts")

export interface CliResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

export interface CliOptions {
  readonly env?: Record<string, string>
  /** Defaults to a fresh empty directory, so no developer .env or .polybackfill leaks in. */
  readonly cwd?: string
  readonly timeoutMs?: number
}

/** Variables a developer's shell may carry that would change what the CLI under test talks to. */
const inherited = (): Record<string, string> =>
  Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] =>
        entry[1] !== undefined && !/^(CLICKHOUSE_|POLYBACKFILL_|GAMMA_URL|DATA_API_URL|GOLDSKY_URL|RPC_URLS)/.test(entry[0])
    )
  )

/**
 * Runs the CLI from source as a separate process (vite-node: no build needed). `--root` resolves
 * packages from the repository whatever the cwd; `--` keeps our args away from vite-node.
 */
export const runCli = (args: ReadonlyArray<string>, options: CliOptions = {}): Promise<CliResult> =>
  new Promise((resolvePromise, reject) => {
    const ownCwd = options.cwd === undefined ? mkdtempSync(join(tmpdir(), "polybackfill-cli-")) : undefined
    const cwd = options.cwd ?? ownCwd!
    const child = spawn(process.execPath, [VITE_NODE, "--root", ROOT, MAIN, "--", ...args], {
      cwd,
      env: { ...inherited(), NO_COLOR: "1", ...options.env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d))
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`polybackfill ${args.join(" ")} did not finish within ${options.timeoutMs ?? 60_000} ms\n${stdout}\n${stderr}`))
    }, options.timeoutMs ?? 60_000)
    child.once("error", reject)
    child.once("close", (code) => {
      clearTimeout(timer)
      if (ownCwd !== undefined) rmSync(ownCwd, { recursive: true, force: true })
      resolvePromise({ code, stdout, stderr })
    })
  })
