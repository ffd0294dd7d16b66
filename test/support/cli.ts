import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { cliArgv } from "./cliCommand.js"

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

/** Runs the CLI as a separate process (the suite's build, see cliCommand.ts). */
export const runCli = (args: ReadonlyArray<string>, options: CliOptions = {}): Promise<CliResult> =>
  new Promise((resolvePromise, reject) => {
    const ownCwd = options.cwd === undefined ? mkdtempSync(join(tmpdir(), "polybackfill-cli-")) : undefined
    const cwd = options.cwd ?? ownCwd!
    const child = spawn(process.execPath, cliArgv(args), {
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
