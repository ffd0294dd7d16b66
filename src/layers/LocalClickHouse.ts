import { spawn } from "node:child_process"
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs"
import { resolve } from "node:path"
import { Duration, Effect, Either, Option, Schedule, Schema } from "effect"
import { LocalClickHouseError } from "../domain/errors.js"
import type { LocalPaths, ServerBinary } from "./localClickHouseConfig.js"
import { NOT_FOUND_MESSAGE, findServerBinary, localPaths, serverConfigXml, usersXml } from "./localClickHouseConfig.js"
import { freePort, isAlive, lastLogLine, pingOk, runsWithConfig } from "./localProcess.js"

export interface LocalClickHouseOptions {
  /** The server to run; found on PATH and the usual install directories when absent. */
  readonly binary?: ServerBinary
  /** Where to look for one when `binary` is absent (default: PATH, then the usual install directories). */
  readonly search?: { readonly pathEnv: string; readonly fixedDirs: ReadonlyArray<string> }
  readonly startTimeout?: Duration.DurationInput
  readonly stopTimeout?: Duration.DurationInput
}

export interface LocalServer {
  readonly url: string
  readonly pid: number
  readonly httpPort: number
  /** The native protocol's port (clickhouse-client --port). */
  readonly tcpPort: number
  readonly dataDir: string
  /** True when a server started earlier (by this or another command) was reused. */
  readonly reused: boolean
}

export type LocalStatus =
  | { readonly _tag: "Running"; readonly pid: number; readonly url: string; readonly tcpPort: number; readonly dataDir: string }
  | { readonly _tag: "Unresponsive"; readonly pid: number; readonly url: string; readonly dataDir: string; readonly errorLog: string }
  | { readonly _tag: "NotRunning"; readonly dataDir: string }

export type StopResult =
  | { readonly _tag: "Stopped"; readonly pid: number; readonly forced: boolean }
  | { readonly _tag: "NotRunning" }

const State = Schema.Struct({
  pid: Schema.Int,
  url: Schema.String,
  httpPort: Schema.Int,
  tcpPort: Schema.Int,
  binary: Schema.String,
  startedAt: Schema.String
})
type State = typeof State.Type
const decodeState = Schema.decodeUnknownOption(Schema.parseJson(State))
const Ports = Schema.Struct({ httpPort: Schema.Int, tcpPort: Schema.Int })
type Ports = typeof Ports.Type
const decodePorts = Schema.decodeUnknownOption(Schema.parseJson(Ports))

const DEFAULT_START_TIMEOUT: Duration.DurationInput = "60 seconds"
const DEFAULT_STOP_TIMEOUT: Duration.DurationInput = "30 seconds"
const POLL = Schedule.spaced("100 millis")

const fail = (message: string) => new LocalClickHouseError({ message })

const io = <A>(what: string, f: () => A): Effect.Effect<A, LocalClickHouseError> =>
  Effect.try({ try: f, catch: (e) => fail(`${what}: ${e instanceof Error ? e.message : String(e)}`) })

const pathsOf = (stateDir: string): LocalPaths => localPaths(resolve(stateDir, "clickhouse"))

const readState = (paths: LocalPaths): Effect.Effect<Option.Option<State>> =>
  Effect.sync(() => {
    try {
      return decodeState(readFileSync(paths.state, "utf8"))
    } catch {
      return Option.none()
    }
  })

/** The ports of the running server, or else of the last one started here (they outlive a stop). */
const readPorts = (paths: LocalPaths, state: Option.Option<State>): Effect.Effect<Option.Option<Ports>> =>
  Option.isSome(state)
    ? Effect.succeed(state)
    : Effect.sync(() => {
        try {
          return decodePorts(readFileSync(paths.ports, "utf8"))
        } catch {
          return Option.none()
        }
      })

const clearState = (paths: LocalPaths) => io(`cannot remove ${paths.state}`, () => rmSync(paths.state, { force: true }))

/** The recorded pid is a live process running with our config file (not a reused pid). */
const isOurs = (state: State, paths: LocalPaths): boolean => isAlive(state.pid) && runsWithConfig(state.pid, paths.config)

/** Polls `done` until it holds, failing with `onTimeout` after `timeout`. */
const pollUntil = (done: Effect.Effect<boolean>, timeout: Duration.DurationInput, onTimeout: () => LocalClickHouseError) =>
  done.pipe(
    Effect.repeat({ schedule: POLL, until: (ok) => ok }),
    Effect.timeoutFail({ duration: timeout, onTimeout }),
    Effect.asVoid
  )

/**
 * One start (or stop) at a time per state dir: several shard processes launched together must end
 * up sharing one server. A lock left by a crashed process (its pid is gone) is taken over.
 */
const withLock = <A, E>(paths: LocalPaths, timeout: Duration.DurationInput, self: Effect.Effect<A, E>) => {
  const tryTake = Effect.sync(() => {
    try {
      const fd = openSync(paths.lock, "wx")
      writeSync(fd, String(process.pid))
      closeSync(fd)
      return true
    } catch {
      let holder = Number.NaN
      try {
        holder = Number(readFileSync(paths.lock, "utf8"))
      } catch {
        // Removed between our open and read: try again.
      }
      // An empty lock file is one being written right now; only a dead holder's lock is stale.
      if (Number.isSafeInteger(holder) && holder > 0 && !isAlive(holder)) rmSync(paths.lock, { force: true })
      return false
    }
  })
  const acquire = pollUntil(tryTake, Duration.sum(timeout, "10 seconds"), () =>
    fail(`another polybackfill is starting or stopping the local ClickHouse (lock ${paths.lock}); if none is running, delete that file`)
  )
  return Effect.acquireUseRelease(acquire, () => self, () => Effect.sync(() => rmSync(paths.lock, { force: true })))
}

/** SIGTERM, then SIGKILL after `timeout`. Returns whether it had to force. */
const terminate = (pid: number, timeout: Duration.DurationInput) => {
  const gone = Effect.sync(() => !isAlive(pid))
  const signal = (name: NodeJS.Signals) =>
    Effect.sync(() => {
      try {
        process.kill(pid, name)
      } catch {
        // Already gone.
      }
    })
  return signal("SIGTERM").pipe(
    Effect.zipRight(pollUntil(gone, timeout, () => fail(`pid ${pid} ignored SIGTERM`))),
    Effect.as(false),
    Effect.catchAll(() =>
      signal("SIGKILL").pipe(
        Effect.zipRight(pollUntil(gone, "10 seconds", () => fail(`cannot stop the local ClickHouse (pid ${pid}): it survived SIGKILL`))),
        Effect.as(true)
      )
    )
  )
}

/**
 * The long-lived server gets a bare environment: our own may hold CLICKHOUSE_PASSWORD or RPC keys,
 * which would otherwise sit in /proc/<pid>/environ for as long as the server runs.
 */
const serverEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { PATH: process.env["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin", LANG: "C.UTF-8" }
  if (process.env["HOME"] !== undefined) env["HOME"] = process.env["HOME"]
  return env
}

interface Spawned {
  readonly pid: number
  readonly exited: () => Option.Option<string>
  readonly kill: Effect.Effect<void>
}

/** Detached, in its own process group, output to a file: it outlives the command that started it. */
const spawnServer = (binary: ServerBinary, paths: LocalPaths): Effect.Effect<Spawned, LocalClickHouseError> =>
  Effect.gen(function* () {
    const out = yield* io(`cannot open ${paths.stdoutLog}`, () => openSync(paths.stdoutLog, "a"))
    const spawned = yield* Effect.try({
      try: () => {
        const child = spawn(binary.command, [...binary.args, `--config-file=${paths.config}`], {
          cwd: paths.root,
          detached: true,
          stdio: ["ignore", out, out],
          env: serverEnv()
        })
        let exit: Option.Option<string> = Option.none()
        child.once("exit", (code, signal) => {
          exit = Option.some(signal !== null ? `killed by ${signal}` : `exit code ${code}`)
        })
        child.once("error", (e) => {
          exit = Option.some(e.message)
        })
        child.unref()
        return { child, exited: () => exit }
      },
      catch: (e) => fail(`cannot start ${binary.command}: ${e instanceof Error ? e.message : String(e)}`)
    }).pipe(Effect.ensuring(Effect.sync(() => closeSync(out))))
    const pid = spawned.child.pid
    if (pid === undefined) return yield* fail(`cannot start ${binary.command}: it does not exist or is not executable`)
    const kill = Effect.gen(function* () {
      if (Option.isSome(spawned.exited())) return
      spawned.child.kill("SIGKILL")
      yield* pollUntil(Effect.sync(() => Option.isSome(spawned.exited()) || !isAlive(pid)), "10 seconds", () =>
        fail(`pid ${pid} survived SIGKILL`)
      ).pipe(Effect.ignore)
    })
    return { pid, exited: spawned.exited, kill }
  })

type StartFailure = { readonly _tag: "Exited"; readonly how: string } | { readonly _tag: "Timeout" }

const describeLog = (paths: LocalPaths): string => {
  const line = lastLogLine(paths.errorLog) ?? lastLogLine(paths.stdoutLog)
  return line === undefined ? `see ${paths.errorLog}` : `${line} (see ${paths.errorLog})`
}

/** Waits for /ping; stops early when the process died (bad config, port taken, data dir locked). */
const waitUntilUp = (server: Spawned, url: string, timeout: Duration.DurationInput): Effect.Effect<void, StartFailure> =>
  Effect.suspend((): Effect.Effect<boolean, StartFailure> => {
    const exited = server.exited()
    return Option.isSome(exited) ? Effect.fail({ _tag: "Exited", how: exited.value }) : pingOk(url, 1_000)
  }).pipe(
    Effect.repeat({ schedule: POLL, until: (ok) => ok }),
    Effect.timeoutFail({ duration: timeout, onTimeout: (): StartFailure => ({ _tag: "Timeout" }) }),
    Effect.asVoid
  )

/** Ports of the last run when still free (a stable URL across restarts), new ones otherwise. */
const choosePorts = (previous: Option.Option<Ports>, attempt: number) =>
  Effect.gen(function* () {
    const reuse = (port: number) => freePort(port).pipe(Effect.orElse(() => freePort()))
    const prev = Option.filter(previous, () => attempt === 1)
    const http = yield* Option.match(prev, { onNone: () => freePort(), onSome: (s) => reuse(s.httpPort) })
    let tcp = yield* Option.match(prev, { onNone: () => freePort(), onSome: (s) => reuse(s.tcpPort) })
    while (tcp === http) tcp = yield* freePort()
    return { http, tcp }
  }).pipe(Effect.mapError((e) => fail(`cannot find a free port on 127.0.0.1: ${e.message}`)))

const MAX_ATTEMPTS = 3

const startFresh = (
  paths: LocalPaths,
  binary: ServerBinary,
  previous: Option.Option<Ports>,
  startTimeout: Duration.DurationInput
): Effect.Effect<LocalServer, LocalClickHouseError> =>
  Effect.gen(function* () {
    for (let attempt = 1; ; attempt++) {
      const ports = yield* choosePorts(previous, attempt)
      yield* io(`cannot write ${paths.config}`, () => {
        writeFileSync(paths.config, serverConfigXml(paths, ports))
        writeFileSync(paths.users, usersXml)
      })
      const url = `http://127.0.0.1:${ports.http}`
      const server = yield* spawnServer(binary, paths)
      const up = yield* waitUntilUp(server, url, startTimeout).pipe(
        Effect.onInterrupt(() => server.kill),
        Effect.either
      )
      if (Either.isRight(up)) {
        const state: State = {
          pid: server.pid,
          url,
          httpPort: ports.http,
          tcpPort: ports.tcp,
          binary: [binary.command, ...binary.args].join(" "),
          startedAt: new Date().toISOString()
        }
        yield* io(`cannot write ${paths.state}`, () => {
          writeFileSync(paths.state, JSON.stringify(state, null, 2) + "\n")
          writeFileSync(paths.ports, JSON.stringify({ httpPort: ports.http, tcpPort: ports.tcp }) + "\n")
        }).pipe(Effect.tapError(() => server.kill))
        return { url, pid: server.pid, httpPort: ports.http, tcpPort: ports.tcp, dataDir: paths.data, reused: false }
      }
      yield* server.kill
      const failure = up.left
      const portTaken = (lastLogLine(paths.errorLog) ?? "").includes("Address already in use")
      if (failure._tag === "Exited" && portTaken && attempt < MAX_ATTEMPTS) continue
      return yield* failure._tag === "Exited"
        ? fail(`ClickHouse server exited during startup (${failure.how}): ${describeLog(paths)}`)
        : fail(`ClickHouse server did not answer ${url}/ping within ${Duration.format(Duration.decode(startTimeout))}: ${describeLog(paths)}`)
    }
  })

const makeDirs = (paths: LocalPaths) =>
  io(`cannot create ${paths.root}`, () => {
    for (const dir of [paths.root, paths.data, paths.tmp, paths.userFiles, paths.formatSchemas, paths.logDir]) {
      mkdirSync(dir, { recursive: true })
    }
  })

/** Answers within a few seconds, or the server is considered wedged (a busy server still answers /ping). */
const answersPing = (url: string) =>
  pingOk(url).pipe(
    Effect.filterOrFail((ok) => ok, () => "no answer"),
    Effect.retry(Schedule.intersect(POLL, Schedule.recurs(20))),
    Effect.orElseSucceed(() => false)
  )

/**
 * The local server under `<stateDir>/clickhouse/`: the one already running when its pid is ours and
 * it answers /ping, otherwise a fresh one on free loopback ports.
 */
export const ensureLocalClickHouse = (
  stateDir: string,
  options: LocalClickHouseOptions = {}
): Effect.Effect<LocalServer, LocalClickHouseError> => {
  const paths = pathsOf(stateDir)
  const startTimeout = options.startTimeout ?? DEFAULT_START_TIMEOUT
  return makeDirs(paths).pipe(
    Effect.zipRight(
      withLock(
        paths,
        startTimeout,
        Effect.gen(function* () {
          const state = yield* readState(paths)
          if (Option.isSome(state) && isOurs(state.value, paths)) {
            const { pid, url, httpPort, tcpPort } = state.value
            if (yield* answersPing(url)) return { url, pid, httpPort, tcpPort, dataDir: paths.data, reused: true }
            // Killing it could break another command using it; the operator decides.
            return yield* fail(
              `the local ClickHouse (pid ${pid}) runs but does not answer ${url}/ping: see ${paths.errorLog}, or restart it with "polybackfill clickhouse stop"`
            )
          }
          const previousPorts = yield* readPorts(paths, state)
          if (Option.isSome(state)) yield* clearState(paths)
          const search = options.search
          const binary = options.binary ?? (search ? findServerBinary(search.pathEnv, search.fixedDirs) : findServerBinary())
          if (binary === undefined) return yield* fail(NOT_FOUND_MESSAGE)
          return yield* startFresh(paths, binary, previousPorts, startTimeout)
        })
      )
    )
  )
}

/** Stops the server this state dir started, by its recorded pid, and nothing else. */
export const stopLocalClickHouse = (
  stateDir: string,
  options: LocalClickHouseOptions = {}
): Effect.Effect<StopResult, LocalClickHouseError> => {
  const paths = pathsOf(stateDir)
  const stopTimeout = options.stopTimeout ?? DEFAULT_STOP_TIMEOUT
  return makeDirs(paths).pipe(
    Effect.zipRight(
      withLock(
        paths,
        stopTimeout,
        Effect.gen(function* () {
          const state = yield* readState(paths)
          if (Option.isNone(state)) return { _tag: "NotRunning" } as const
          if (!isOurs(state.value, paths)) {
            yield* clearState(paths)
            return { _tag: "NotRunning" } as const
          }
          const forced = yield* terminate(state.value.pid, stopTimeout)
          yield* clearState(paths)
          return { _tag: "Stopped", pid: state.value.pid, forced } as const
        })
      )
    )
  )
}

export const localClickHouseStatus = (stateDir: string): Effect.Effect<LocalStatus, LocalClickHouseError> => {
  const paths = pathsOf(stateDir)
  const dataDir = paths.data
  return Effect.gen(function* () {
    const state = yield* readState(paths)
    if (Option.isNone(state) || !isOurs(state.value, paths)) return { _tag: "NotRunning", dataDir } as const
    const { pid, url, tcpPort } = state.value
    return (yield* pingOk(url))
      ? ({ _tag: "Running", pid, url, tcpPort, dataDir } as const)
      : ({ _tag: "Unresponsive", pid, url, dataDir, errorLog: paths.errorLog } as const)
  })
}
