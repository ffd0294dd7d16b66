import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { resolve } from "node:path"
import type { createClient } from "@clickhouse/client"
import { Effect, Redacted } from "effect"
import type { Scope } from "effect"
import { LocalClickHouseError } from "../domain/errors.js"
import type { ClickHouseConnection } from "./ClickHouseLive.js"
import { isAlive } from "./localProcess.js"

/** What @clickhouse/client 1.23 accepts as `createClient({ connection })` in place of its HTTP connection. */
export type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>["connection"]>

/**
 * The in-process ClickHouse (npm `chdb`, the ClickHouse 26.x engine as a library), data under
 * `<state-dir>/embedded/`. Each `connect()` is one session on that engine (its own current database
 * and settings); the engine itself is loaded once per process and holds a lock on the directory, so
 * one process at a time uses it.
 */
export interface EmbeddedEngine {
  readonly dir: string
  readonly connect: () => ClientConnection
}

interface ChdbConnectionModule {
  readonly createChdbConnection: (opts: { readonly path: string }) => ClientConnection
}

/** What makeClickHouse takes to reach `database` on the embedded engine (shown as `embedded:<dir>`). */
export const embeddedConnection = (engine: EmbeddedEngine, database: string): ClickHouseConnection => ({
  url: `embedded:${engine.dir}`,
  username: "default",
  password: Redacted.make(""),
  database,
  embedded: engine
})

export const embeddedDir = (stateDir: string): string => resolve(stateDir, "embedded")

/** What to do instead, said by every refusal of the embedded engine. */
export const USE_A_SERVER =
  'use a server: the managed one ("polybackfill clickhouse install", then leave --clickhouse-url unset) or your own (CLICKHOUSE_URL=http://host:8123)'

export const NOT_INSTALLED_MESSAGE =
  `the embedded ClickHouse needs the optional npm package chdb, which is not installed (npm ci --omit=optional skips it; ` +
  `it is built for Linux x64/arm64 with glibc and for macOS): run "npm install chdb", or ${USE_A_SERVER}`

const fail = (message: string) => new LocalClickHouseError({ message })

// The specifier is a variable so TypeScript does not need chdb's types: the package is optional.
const CHDB_CONNECTION = "chdb/connection"

let loaded: Promise<ChdbConnectionModule> | undefined

/** Loads chdb only when embedded is chosen: a server user never pays for its 540 MB library. */
const loadChdb: Effect.Effect<ChdbConnectionModule, LocalClickHouseError> = Effect.tryPromise({
  try: () => (loaded ??= import(CHDB_CONNECTION) as Promise<ChdbConnectionModule>),
  catch: (e) => {
    loaded = undefined
    const text = e instanceof Error ? e.message : String(e)
    return /Cannot find (module|package)|ERR_MODULE_NOT_FOUND|MODULE_NOT_FOUND|lib-.*-gnu|libchdb/.test(text)
      ? fail(NOT_INSTALLED_MESSAGE)
      : fail(`cannot load the embedded ClickHouse (chdb): ${text.split("\n")[0]}`)
  }
})

const inUse = (dir: string, pid: number | undefined) =>
  fail(
    `the embedded ClickHouse in ${dir} is in use by another polybackfill process${pid === undefined ? "" : ` (pid ${pid})`}, and it runs in one process at a time: ` +
      `wait for that one to finish, or for two runs at once ${USE_A_SERVER}`
  )

/**
 * The pid of the process that opened the engine last, kept next to its directory. The engine locks
 * the directory itself, but says so on stderr before it fails; this check refuses first, in one line.
 */
const ownerFile = (dir: string) => `${dir}.pid`

const otherOwner = (dir: string): number | undefined => {
  try {
    const pid = Number(readFileSync(ownerFile(dir), "utf8").trim())
    return Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid) ? pid : undefined
  } catch {
    return undefined
  }
}

/** Why opening a session failed, in one line that names the fix (chdb reports a held lock as a failed connection). */
export const openFailure = (dir: string, cause: unknown): LocalClickHouseError => {
  const text = [cause, (cause as { cause?: unknown } | null)?.cause]
    .map((c) => (c instanceof Error ? c.message : c === undefined ? "" : String(c)))
    .join(" ")
  if (/Cannot lock file|Another server instance|Failed to create connection/i.test(text)) return inUse(dir, undefined)
  return fail(`cannot open the embedded ClickHouse in ${dir}: ${text.split("\n")[0]}`)
}

/** Scopes of this process using each directory: the owner file is ours from the first until the last ends. */
const users = new Map<string, number>()

const claimOwner = (dir: string) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const n = users.get(dir) ?? 0
      users.set(dir, n + 1)
      if (n > 0) return
      try {
        writeFileSync(ownerFile(dir), `${process.pid}\n`)
      } catch {
        // Only the early refusal is lost: the engine's own lock still holds.
      }
    }),
    () =>
      Effect.sync(() => {
        const n = (users.get(dir) ?? 1) - 1
        if (n > 0) return void users.set(dir, n)
        users.delete(dir)
        rmSync(ownerFile(dir), { force: true })
      })
  )

/**
 * The embedded engine under `<stateDir>/embedded/`, for the scope. The first session is opened here, so
 * a directory locked by another process, or a missing package, fails now with one line rather than at
 * the first query. Sessions opened from it must end with the scope (the engine lets go of the
 * directory when its last session closes, and another process may then take it).
 */
export const openEmbedded = (stateDir: string): Effect.Effect<EmbeddedEngine, LocalClickHouseError, Scope.Scope> =>
  Effect.gen(function* () {
    const dir = embeddedDir(stateDir)
    const chdb = yield* loadChdb
    yield* Effect.try({ try: () => mkdirSync(dir, { recursive: true }), catch: (e) => fail(`cannot create ${dir}: ${String(e)}`) })
    const owner = otherOwner(dir)
    if (owner !== undefined) return yield* inUse(dir, owner)
    const connect = () => chdb.createChdbConnection({ path: dir })
    // Opened and closed at once: proves the directory is ours before any command starts work.
    const probe = yield* Effect.try({ try: connect, catch: (e) => openFailure(dir, e) })
    yield* Effect.promise(() => probe.close())
    yield* claimOwner(dir)
    return { dir, connect }
  })
