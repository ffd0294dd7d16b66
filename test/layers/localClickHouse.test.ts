import { spawn } from "node:child_process"
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Option, TestClock } from "effect"
import { inject } from "vitest"
import { ensureLocalClickHouse, localClickHouseStatus, stopLocalClickHouse } from "../../src/layers/LocalClickHouse.js"
import { NOT_FOUND_MESSAGE, findServerBinary } from "../../src/layers/localClickHouseConfig.js"
import { isAlive, pingOk } from "../../src/layers/localProcess.js"

const dirs: Array<string> = []
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "polybackfill-local-"))
  dirs.push(dir)
  return dir
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

/** Processes whose command line mentions `text` (the fake servers get our config path as an argument). */
const processesMentioning = (text: string): Array<number> =>
  readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(text) && isAlive(Number(pid))
      } catch {
        return false
      }
    })
    .map(Number)

/**
 * Advances the TestClock in steps until the forked effect ends. Steps, not one jump: the start-up
 * loop only registers its timeout after real I/O (free ports, spawn), which the clock cannot see.
 */
const driveClock = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.fork(effect)
    for (let i = 0; i < 500; i++) {
      const done = yield* Fiber.poll(fiber)
      if (Option.isSome(done)) return done.value
      yield* TestClock.adjust("1 second")
      yield* Effect.promise(() => new Promise((r) => setTimeout(r, 10)))
    }
    return yield* Fiber.join(fiber).pipe(Effect.exit)
  })

const failureMessage = <A>(exit: Exit.Exit<A, { readonly message: string }>): string =>
  Exit.match(exit, {
    onSuccess: () => "succeeded",
    onFailure: (cause) => (cause._tag === "Fail" ? cause.error.message : String(cause))
  })

describe("finding the server binary", () => {
  it("prefers clickhouse-server, falls back to the single clickhouse binary run as `clickhouse server`", () => {
    const single = tempDir()
    writeFileSync(join(single, "clickhouse"), "#!/bin/sh\n")
    chmodSync(join(single, "clickhouse"), 0o755)
    expect(findServerBinary(single, [])).toEqual({ command: join(single, "clickhouse"), args: ["server"] })

    const both = tempDir()
    for (const name of ["clickhouse", "clickhouse-server"]) {
      writeFileSync(join(both, name), "#!/bin/sh\n")
      chmodSync(join(both, name), 0o755)
    }
    expect(findServerBinary("", [both])).toEqual({ command: join(both, "clickhouse-server"), args: [] })
  })

  it("ignores files that are not executable", () => {
    const dir = tempDir()
    writeFileSync(join(dir, "clickhouse-server"), "not a program")
    chmodSync(join(dir, "clickhouse-server"), 0o644)
    expect(findServerBinary(dir, [])).toBeUndefined()
  })

  it.effect("with none installed, ensure fails with the one-line install hint", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(ensureLocalClickHouse(tempDir(), { search: { pathEnv: "", fixedDirs: [] } }))
      expect(failureMessage(exit)).toBe(NOT_FOUND_MESSAGE)
      expect(NOT_FOUND_MESSAGE).toContain("apt-get install -y clickhouse-server")
      expect(NOT_FOUND_MESSAGE).not.toContain("\n")
    }))
})

describe("start-up failures (fake servers, TestClock)", () => {
  it.effect("a server that never answers /ping is killed after the start timeout, and the error points at its log", () =>
    Effect.gen(function* () {
      const stateDir = tempDir()
      const hang = { command: process.execPath, args: ["-e", "setInterval(() => {}, 1000)", "--"] }
      const exit = yield* driveClock(ensureLocalClickHouse(stateDir, { binary: hang, startTimeout: "30 seconds" }))
      const message = failureMessage(exit)
      expect(message).toContain("did not answer")
      expect(message).toContain("within 30s")
      expect(message).toContain(join(stateDir, "clickhouse", "log", "clickhouse-server.err.log"))
      expect(processesMentioning(join(stateDir, "clickhouse", "config.xml"))).toEqual([])
      expect(existsSync(join(stateDir, "clickhouse", "state.json"))).toBe(false)
      expect(existsSync(join(stateDir, "clickhouse", "start.lock"))).toBe(false)
    }))

  it.effect("a server that exits during start-up fails at once with what it printed", () =>
    Effect.gen(function* () {
      const stateDir = tempDir()
      const crash = { command: "/bin/sh", args: ["-c", "echo 'DB::Exception: Cannot lock file status' >&2; exit 3", "fake-server"] }
      const exit = yield* driveClock(ensureLocalClickHouse(stateDir, { binary: crash }))
      const message = failureMessage(exit)
      expect(message).toContain("exited during startup (exit code 3)")
      expect(message).toContain("Cannot lock file status")
      expect(message).not.toContain("\n")
    }))

  it.effect("a stale lock left by a dead process does not block a start", () =>
    Effect.gen(function* () {
      const stateDir = tempDir()
      mkdirSync(join(stateDir, "clickhouse"), { recursive: true })
      const dead = spawn("true")
      yield* Effect.promise(() => new Promise((r) => dead.once("exit", r)))
      writeFileSync(join(stateDir, "clickhouse", "start.lock"), String(dead.pid))
      const exit = yield* driveClock(ensureLocalClickHouse(stateDir, { search: { pathEnv: "", fixedDirs: [] } }))
      expect(failureMessage(exit)).toBe(NOT_FOUND_MESSAGE)
    }))
})

/** A process that looks like our server (our config path on its command line) but never serves /ping. */
const fakeRecordedServer = (stateDir: string, code: string) =>
  Effect.gen(function* () {
    const root = join(stateDir, "clickhouse")
    mkdirSync(root, { recursive: true })
    const child = spawn(process.execPath, ["-e", `${code}; console.log("ready")`, "--", `--config-file=${join(root, "config.xml")}`], {
      stdio: ["ignore", "pipe", "ignore"]
    })
    yield* Effect.addFinalizer(() => Effect.sync(() => child.kill("SIGKILL")))
    // Its signal handlers are in place once it says so.
    yield* Effect.promise(() => new Promise((r) => child.stdout.once("data", r)))
    const state = { pid: child.pid, url: "http://127.0.0.1:1", httpPort: 1, tcpPort: 2, binary: "fake", startedAt: "" }
    writeFileSync(join(root, "state.json"), JSON.stringify(state))
    return child.pid!
  })

describe("a recorded server that misbehaves (fake servers, TestClock)", () => {
  it.scoped("stop escalates to SIGKILL when SIGTERM is ignored", () =>
    Effect.gen(function* () {
      const stateDir = tempDir()
      const pid = yield* fakeRecordedServer(stateDir, "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)")
      const exit = yield* driveClock(stopLocalClickHouse(stateDir, { stopTimeout: "5 seconds" }))
      expect(exit).toStrictEqual(Exit.succeed({ _tag: "Stopped", pid, forced: true }))
      expect(isAlive(pid)).toBe(false)
      expect(existsSync(join(stateDir, "clickhouse", "state.json"))).toBe(false)
    }))

  it.scoped("ensure does not kill a running server that stopped answering: it says how to restart it", () =>
    Effect.gen(function* () {
      const stateDir = tempDir()
      const pid = yield* fakeRecordedServer(stateDir, "setInterval(() => {}, 1000)")
      const exit = yield* driveClock(ensureLocalClickHouse(stateDir))
      expect(failureMessage(exit)).toContain(`the local ClickHouse (pid ${pid}) runs but does not answer`)
      expect(failureMessage(exit)).toContain("polybackfill clickhouse stop")
      expect(isAlive(pid)).toBe(true)
    }))
})

describe("the managed server (real ClickHouse)", () => {
  it.live("is reused by a second ensure, stop ends only its own pid, and a restart keeps its URL", () =>
    Effect.gen(function* () {
      const stateDir = tempDir()
      const first = yield* ensureLocalClickHouse(stateDir)
      expect(first.reused).toBe(false)
      expect(yield* pingOk(first.url)).toBe(true)

      const second = yield* ensureLocalClickHouse(stateDir)
      expect(second).toEqual({ ...first, reused: true })
      expect([first.httpPort, first.tcpPort, first.dataDir]).toEqual([Number(new URL(first.url).port), expect.any(Number), join(stateDir, "clickhouse", "data") + "/"])
      expect(yield* localClickHouseStatus(stateDir)).toMatchObject({ _tag: "Running", pid: first.pid, url: first.url, tcpPort: first.tcpPort })
      // It runs with a bare environment: no CLICKHOUSE_PASSWORD or RPC keys of the command that started it.
      const environ = readFileSync(`/proc/${first.pid}/environ`, "utf8").split("\0").filter((e) => e !== "")
      expect(environ.map((e) => e.split("=")[0]).sort()).toEqual(
        ["HOME", "LANG", "PATH"].filter((k) => k !== "HOME" || process.env["HOME"] !== undefined)
      )

      const stopped = yield* stopLocalClickHouse(stateDir)
      expect(stopped).toMatchObject({ _tag: "Stopped", pid: first.pid })
      expect(isAlive(first.pid)).toBe(false)
      expect(yield* localClickHouseStatus(stateDir)).toMatchObject({ _tag: "NotRunning" })
      // The run's shared server, another process from the same binary, is untouched.
      expect(yield* pingOk(inject("clickhouseUrl"))).toBe(true)
      expect(yield* stopLocalClickHouse(stateDir)).toEqual({ _tag: "NotRunning" })

      // Started again, it listens on the same ports: a client's URL stays valid across a restart.
      const again = yield* ensureLocalClickHouse(stateDir)
      expect(again).toMatchObject({ url: first.url, reused: false })
      expect(again.pid).not.toBe(first.pid)
      expect(yield* stopLocalClickHouse(stateDir)).toMatchObject({ _tag: "Stopped", pid: again.pid })
    }))

  it.live("stop never signals a recorded pid that is not its server (a reused pid)", () =>
    Effect.gen(function* () {
      const stateDir = tempDir()
      const stranger = spawn("sleep", ["30"], { stdio: "ignore" })
      yield* Effect.addFinalizer(() => Effect.sync(() => stranger.kill("SIGKILL")))
      mkdirSync(join(stateDir, "clickhouse"), { recursive: true })
      const state = { pid: stranger.pid, url: "http://127.0.0.1:1", httpPort: 1, tcpPort: 2, binary: "x", startedAt: "" }
      writeFileSync(join(stateDir, "clickhouse", "state.json"), JSON.stringify(state))

      expect(yield* localClickHouseStatus(stateDir)).toMatchObject({ _tag: "NotRunning" })
      expect(yield* stopLocalClickHouse(stateDir)).toEqual({ _tag: "NotRunning" })
      expect(isAlive(stranger.pid!)).toBe(true)
      expect(existsSync(join(stateDir, "clickhouse", "state.json"))).toBe(false)
    }).pipe(Effect.scoped))
})
