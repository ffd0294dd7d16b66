import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, truncateSync, writeSync } from "node:fs"
import { join } from "node:path"
import { Clock, Effect, Layer, Schema } from "effect"
import type { BackfillUnitRow } from "../domain/tables.js"
import { latestByKey } from "../domain/units.js"
import { CheckpointFileError, UnitStore } from "../services/UnitStore.js"
import { UnitRowSchema } from "./unitRowSchema.js"

const decodeRow = Schema.decodeUnknownEither(UnitRowSchema)
const JOB_FILE = /^([a-z][a-z0-9_]{0,63})\.jsonl$/

const fsyncDir = (dir: string) => {
  try {
    const fd = openSync(dir, "r")
    try {
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
  } catch {
    // Some platforms cannot open a directory for fsync; the file itself is still synced.
  }
}

const writeAllSync = (path: string, text: string, flags: "a" | "w") => {
  const fd = openSync(path, flags)
  try {
    writeSync(fd, text)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

interface Loaded {
  readonly rows: Array<BackfillUnitRow>
  readonly lines: number
  readonly maxVersion: number
}

/**
 * Reads a job's log. A last line without its newline is a write the process did not finish (a crash
 * mid-append): it is cut off, never half-applied. Any other unreadable line is corruption: one line
 * naming the file and line, never a silent skip.
 */
const readLog = (path: string): Loaded | CheckpointFileError => {
  if (!existsSync(path)) return { rows: [], lines: 0, maxVersion: 0 }
  let text = readFileSync(path, "utf8")
  const lastNewline = text.lastIndexOf("\n")
  if (lastNewline !== text.length - 1) {
    truncateSync(path, Buffer.byteLength(text.slice(0, lastNewline + 1)))
    text = text.slice(0, lastNewline + 1)
  }
  const rows: Array<BackfillUnitRow> = []
  let maxVersion = 0
  const lines = text.split("\n")
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (line === "") continue
    let parsed: unknown
    try {
      parsed = JSON.parse(line)
    } catch {
      parsed = undefined
    }
    const row = decodeRow(parsed)
    if (row._tag === "Left") {
      return new CheckpointFileError({
        message: `checkpoint file ${path} line ${i + 1} is corrupt: move the file away and run \`polybackfill plan\` again (ClickHouse keeps the rows already written)`
      })
    }
    rows.push(row.right)
    maxVersion = Math.max(maxVersion, row.right.version)
  }
  return { rows, lines: rows.length, maxVersion }
}

/**
 * `--checkpoint file`: one append-only log per job under `<dir>` (JSON lines). Each save is one write
 * followed by fsync, so what a save returned is on disk; the newest version of a unit wins on load.
 * The log is compacted (rewritten to a temporary file, fsync'd, renamed over) when it holds many
 * more lines than units.
 */
export const makeFileStore = (dir: string) =>
  Effect.gen(function* () {
    yield* Effect.try({
      try: () => mkdirSync(dir, { recursive: true }),
      catch: (e) => new CheckpointFileError({ message: `cannot create the checkpoint directory ${dir}: ${String(e)} (check --state-dir)` })
    })
    let version = 0
    const pathOf = (job: string) => {
      if (!/^[a-z][a-z0-9_]{0,63}$/.test(job)) throw new Error(`invalid job name ${JSON.stringify(job)}`)
      return join(dir, `${job}.jsonl`)
    }
    const io = <A>(what: string, f: () => A | CheckpointFileError) =>
      Effect.try({
        try: f,
        catch: (e) => new CheckpointFileError({ message: `${what}: ${String(e).split("\n")[0]} (check --state-dir and free disk space)` })
      }).pipe(Effect.flatMap((a) => (a instanceof CheckpointFileError ? Effect.fail(a) : Effect.succeed(a))))

    const load = (job: string) =>
      io(`cannot read the checkpoint log of ${job} in ${dir}`, () => {
        const path = pathOf(job)
        const loaded = readLog(path)
        if (loaded instanceof CheckpointFileError) return loaded
        version = Math.max(version, loaded.maxVersion)
        const latest = [...latestByKey(loaded.rows).values()]
        if (loaded.lines > 1000 && loaded.lines > latest.length * 4) {
          const tmp = `${path}.compact`
          writeAllSync(tmp, latest.map((r) => JSON.stringify(r) + "\n").join(""), "w")
          renameSync(tmp, path)
          fsyncDir(dir)
        }
        return latest
      })

    const jobs = io(`cannot list the checkpoint logs in ${dir}`, () =>
      existsSync(dir)
        ? readdirSync(dir)
            .map((f) => JOB_FILE.exec(f)?.[1])
            .filter((j): j is string => j !== undefined)
            .sort()
        : []
    )
    const store = UnitStore.of({
      location: `checkpoint files in ${dir}`,
      load,
      save: (rows) =>
        rows.length === 0
          ? Effect.void
          : Effect.gen(function* () {
              const now = yield* Clock.currentTimeMillis
              yield* io(`cannot append to the checkpoint log in ${dir}`, () => {
                const byJob = new Map<string, Array<string>>()
                version = Math.max(now, version + 1)
                for (const row of rows) {
                  const lines = byJob.get(row.job) ?? []
                  lines.push(JSON.stringify({ ...row, version }) + "\n")
                  byJob.set(row.job, lines)
                }
                for (const [job, lines] of byJob) {
                  const path = pathOf(job)
                  const created = !existsSync(path)
                  writeAllSync(path, lines.join(""), "a")
                  if (created) fsyncDir(dir)
                }
              })
            }),
      jobs
    })
    // Versions continue above whatever the logs hold, so a restart never writes an older version.
    for (const job of yield* jobs) yield* load(job)
    return store
  })

/** The file store for ClickHouse database `database` under the state dir. */
export const layerFile = (stateDir: string, database: string): Layer.Layer<UnitStore, CheckpointFileError> =>
  Layer.effect(UnitStore, makeFileStore(join(stateDir, "checkpoints", database)))
