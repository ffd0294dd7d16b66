import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { Scope } from "effect"
import { Duration, Effect } from "effect"
import { cliArgv } from "../support/cliCommand.js"


/** How a child ended: its exit code, or the signal that ended it. */
export interface ChildExit {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

export const describeExit = (e: ChildExit): string => (e.signal !== null ? `killed by ${e.signal}` : `exit ${e.code}`)

/** A running `polybackfill` process: its output so far, its end, and a SIGKILL. */
export interface CliChild {
  readonly pid: number
  readonly output: () => string
  readonly ended: () => ChildExit | undefined
  readonly exit: Effect.Effect<ChildExit>
  readonly sigkill: Effect.Effect<ChildExit>
  /** The run id the child logged ("run 1a2b3c4d5e6f: fills ..."), once it has. */
  readonly runId: () => string | undefined
}

/** The environment of the drill without what a developer's shell may carry (CLICKHOUSE_*, source URLs). */
const inherited = (): Record<string, string> =>
  Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] =>
        entry[1] !== undefined && !/^(CLICKHOUSE_|POLYBACKFILL_|GAMMA_URL|DATA_API_URL|GOLDSKY_URL|RPC_URLS)/.test(entry[0])
    )
  )

/**
 * `polybackfill <args>` (the suite's build, or from source under `npm run drill`: see cliCommand.ts), in an empty working directory of its own
 * (no .env, its own .polybackfill), talking to `clickhouseUrl`. SIGKILLed when the scope closes first.
 */
export const spawnCli = (args: ReadonlyArray<string>, clickhouseUrl: string): Effect.Effect<CliChild, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const cwd = mkdtempSync(join(tmpdir(), "polybackfill-drill-"))
      const child = spawn(process.execPath, cliArgv(args), {
        cwd,
        env: { ...inherited(), NO_COLOR: "1", CLICKHOUSE_URL: clickhouseUrl },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let output = ""
      let ended: ChildExit | undefined
      child.stdout.setEncoding("utf8").on("data", (d: string) => (output += d))
      child.stderr.setEncoding("utf8").on("data", (d: string) => (output += d))
      const closed = new Promise<ChildExit>((res) =>
        child.once("close", (code, signal) => {
          ended = { code, signal }
          rmSync(cwd, { recursive: true, force: true })
          res(ended)
        })
      )
      const exit = Effect.promise(() => closed)
      const api: CliChild = {
        pid: child.pid ?? -1,
        output: () => output,
        ended: () => ended,
        exit,
        sigkill: Effect.suspend(() => {
          if (ended === undefined) child.kill("SIGKILL")
          return exit
        }),
        runId: () => /\brun ([0-9a-f]{12}): /.exec(output)?.[1]
      }
      return api
    }),
    (child) => Effect.asVoid(child.sigkill)
  )

/** Waits for the child to end by itself; SIGKILLs it and fails after `timeout`. */
export const awaitExit = (child: CliChild, timeout: Duration.DurationInput): Effect.Effect<ChildExit, Error> =>
  child.exit.pipe(
    Effect.timeoutFail({
      duration: timeout,
      onTimeout: () => new Error(`polybackfill did not finish within ${Duration.format(Duration.decode(timeout))}; its last output: ${tail(child.output())}`)
    }),
    Effect.tapError(() => child.sigkill)
  )

/** Runs `polybackfill <args>` to its end. */
export const runCliToEnd = (args: ReadonlyArray<string>, clickhouseUrl: string, timeout: Duration.DurationInput = "120 seconds") =>
  Effect.scoped(
    Effect.gen(function* () {
      const child = yield* spawnCli(args, clickhouseUrl)
      const exit = yield* awaitExit(child, timeout)
      return { exit, output: child.output(), runId: child.runId() }
    })
  )

/**
 * Polls `condition` every 50 ms until it holds ("met") or the child ends ("exited"); a failing poll
 * counts as not yet. Fails (after a SIGKILL) when neither happens within `timeout`.
 */
export const waitWhileRunning = <E, R>(
  child: CliChild,
  condition: Effect.Effect<boolean, E, R>,
  timeout: Duration.DurationInput
): Effect.Effect<"met" | "exited", Error, R> =>
  Effect.gen(function* () {
    while (true) {
      if (child.ended() !== undefined) return "exited" as const
      if (yield* Effect.orElseSucceed(condition, () => false)) return "met" as const
      yield* Effect.sleep("50 millis")
    }
  }).pipe(
    Effect.timeoutFail({
      duration: timeout,
      onTimeout: () => new Error(`the condition did not hold within ${Duration.format(Duration.decode(timeout))}; last output: ${tail(child.output())}`)
    }),
    Effect.tapError(() => child.sigkill)
  )

/** The last lines of an output, for failure details. */
export const tail = (output: string, lines = 6): string => output.trimEnd().split("\n").slice(-lines).join(" | ")
