import { describe, expect, it } from "@effect/vitest"
import { Console, Effect, Exit, Fiber, Option, Scope, TestClock } from "effect"
import type { ProgressSnapshot } from "../../src/domain/progress.js"
import { layerLogging } from "../../src/layers/Logging.js"
import { makeProgress } from "../../src/layers/ProgressLive.js"
import type { TerminalWriter } from "../../src/layers/Terminal.js"
import { makeTerminalWriter, terminalConsole } from "../../src/layers/Terminal.js"

/**
 * A terminal as a person sees it: rows of `width` columns; a character written past the last column
 * wraps to a new row (counted), \r goes to column 0, ESC[2K blanks the row, colour escapes take no room.
 */
class Screen {
  readonly rows: Array<string> = [""]
  raw = ""
  wraps = 0
  private col = 0
  constructor(readonly width: number) {}
  write(text: string) {
    this.raw += text
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!
      if (c === "\x1b") {
        const m = /^\x1b\[([0-9;?]*)([A-Za-z])/.exec(text.slice(i))!
        if (m[2] === "K") this.rows[this.rows.length - 1] = ""
        i += m[0].length - 1
      } else if (c === "\r") this.col = 0
      else if (c === "\n") {
        this.rows.push("")
        this.col = 0
      } else {
        if (this.col >= this.width) {
          this.wraps++
          this.rows.push("")
          this.col = 0
        }
        const row = this.rows[this.rows.length - 1]!
        this.rows[this.rows.length - 1] = row.slice(0, this.col).padEnd(this.col) + c + row.slice(this.col + 1)
        this.col++
      }
    }
  }
  /** Rows with something on them. */
  get text(): ReadonlyArray<string> {
    return this.rows.filter((r) => r.trim() !== "")
  }
}

/** stdout and stderr on one terminal (or both piped, when `tty` is false). */
const fakeTerminal = (tty: boolean, env: Record<string, string> = {}, columns = 80) => {
  const screen = new Screen(columns)
  const stream = { isTTY: tty, columns: tty ? columns : undefined, write: (t: string) => void screen.write(t) }
  return { screen, writer: makeTerminalWriter({ out: stream, err: stream }, env) }
}

const snapshot = (done: number): ProgressSnapshot => ({
  job: "fills",
  unitsTotal: 800,
  unitsDone: done,
  unitsError: 0,
  unitsInFlight: 256,
  jobUnits: 2000,
  jobDone: 1200 + done,
  rows: done * 40,
  quarantined: 0,
  elapsedMs: 10_000,
  workers: "8 in flight (limit 8)"
})

/**
 * A run as the CLI shows it: the progress line ticking, warnings logged while it is on screen, then
 * the run's end (`exit`), a summary line on stdout and a message on stderr.
 */
const showRun = (writer: TerminalWriter, exit: Exit.Exit<unknown, unknown>) =>
  Effect.gen(function* () {
    let done = 0
    const scope = yield* Scope.make()
    yield* makeProgress(writer).track(Effect.sync(() => snapshot(done))).pipe(Scope.extend(scope))
    for (let i = 0; i < 4; i++) {
      done += 50
      yield* TestClock.adjust("10 seconds")
      yield* Effect.logWarning(`unit 0x${i} failed: connect ECONNREFUSED`)
    }
    if (Exit.isFailure(exit)) yield* Console.error("stopped: 200 of 800 units done in this run")
    yield* Scope.close(scope, exit)
    if (Exit.isSuccess(exit)) yield* Console.log("fills: 200 of 800 units done")
  }).pipe(
    Effect.provide(layerLogging({ format: Option.none(), file: Option.none() }, writer)),
    Effect.withConsole(terminalConsole(writer))
  )

const isProgress = (row: string) => row.startsWith("fills [")

describe("the terminal writer", () => {
  it.effect("on a terminal: no log line shares a row with the progress line, no redraw wraps, the bar shows the whole job", () =>
    Effect.gen(function* () {
      const { screen, writer } = fakeTerminal(true)
      yield* showRun(writer, Exit.void)
      expect(screen.wraps).toBe(0)
      for (const row of screen.rows) expect(row.length).toBeLessThanOrEqual(80)
      const rows = screen.text
      // Every warning on a row of its own, whole; the one progress line left is the final one, then the summary.
      const warnings = rows.filter((r) => r.includes("WARN"))
      expect(warnings).toHaveLength(4)
      for (const w of warnings) expect(w).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN /)
      expect(rows.filter(isProgress)).toHaveLength(1)
      expect(rows.slice(-2)).toEqual([expect.stringMatching(/^fills \[/), "fills: 200 of 800 units done"])
      // 1,400 of 2,000 units of the job: 70%, though this run did 200 of its 800.
      expect(rows.find(isProgress)).toMatch(/^fills \[███████░░░\] 70\.0% of 2,000 units · this run 200\/800 units/)
    }))

  it.effect("after Ctrl+C the stopped message stands alone: no progress line on it or after it", () =>
    Effect.gen(function* () {
      const { screen, writer } = fakeTerminal(true)
      const fiber = yield* Effect.fork(Effect.never)
      const interrupted = yield* Fiber.interrupt(fiber)
      yield* showRun(writer, interrupted)
      expect(screen.wraps).toBe(0)
      const rows = screen.text
      expect(rows.filter(isProgress)).toEqual([])
      expect(rows[rows.length - 1]).toBe("stopped: 200 of 800 units done in this run")
      // Without a terminal too, the stopped message is the last line, not a progress line after it.
      const piped = fakeTerminal(false)
      yield* showRun(piped.writer, interrupted)
      const lines = piped.screen.raw.trimEnd().split("\n")
      expect(lines[lines.length - 1]).toBe("stopped: 200 of 800 units done in this run")
      expect(lines.filter((l) => l.includes("fills 70.0% of 2,000 units"))).toHaveLength(1)
    }))

  it.effect("in a narrow terminal the line is cut to fit, never wrapped", () =>
    Effect.gen(function* () {
      const { screen, writer } = fakeTerminal(true, {}, 50)
      yield* showRun(writer, Exit.void)
      // Each redraw of the line (the log lines, longer than 50 columns, wrap as the terminal does).
      const draws = screen.raw.split("\r\x1b[2K").filter(isProgress).map((d) => d.split("\n")[0]!)
      expect(draws.length).toBeGreaterThan(4)
      for (const d of draws) expect(d.length).toBeLessThan(50)
      expect(screen.text.filter(isProgress)).toHaveLength(1)
    }))

  it.effect("colour only on a terminal", () =>
    Effect.gen(function* () {
      const { screen, writer } = fakeTerminal(true)
      yield* showRun(writer, Exit.void)
      expect(screen.raw).toMatch(/\x1b\[[0-9;]*m/)
    }))

  it.effect("with NO_COLOR on a terminal: the line is still redrawn in place, but no colour", () =>
    Effect.gen(function* () {
      const { screen, writer } = fakeTerminal(true, { NO_COLOR: "1" })
      yield* showRun(writer, Exit.void)
      expect(screen.raw).toContain("\r\x1b[2K")
      expect(screen.raw).not.toMatch(/\x1b\[[0-9;]*m/)
      // Colour written by someone else (a library's help, an error) is taken out too.
      const before = screen.raw.length
      yield* Console.log("\x1b[1mUSAGE\x1b[0m").pipe(Effect.withConsole(terminalConsole(writer)))
      expect(screen.raw.slice(before)).toBe("USAGE\n")
    }))

  it.effect("without a terminal: plain periodic lines, no \\r and no escapes at all", () =>
    Effect.gen(function* () {
      const { screen, writer } = fakeTerminal(false)
      yield* showRun(writer, Exit.void)
      expect(screen.raw).not.toContain("\r")
      expect(screen.raw).not.toContain("\x1b")
      const progress = screen.raw.split("\n").filter((r) => r.includes("fills 70.0% of 2,000 units") || r.includes("fills 62.5% of 2,000 units"))
      expect(progress.length).toBeGreaterThanOrEqual(2)
      for (const line of progress) expect(line).toContain("units 256 in flight · requests 8 in flight (limit 8)")
    }))
})
