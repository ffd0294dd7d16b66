import { Console as NodeConsole } from "node:console"
import { Writable } from "node:stream"
import { Console, Effect } from "effect"

/** What the writer needs of stdout or stderr (a fake one in tests). */
export interface TerminalStream {
  readonly write: (text: string) => unknown
  readonly isTTY?: boolean | undefined
  readonly columns?: number | undefined
}

/**
 * The one owner of the terminal. Everything a run shows (log lines, Console output, the progress line)
 * goes through it, so a line never lands on the live progress line: the progress line is cleared
 * before a line is written and drawn again after it. Colour and cursor escapes only on a terminal,
 * colour never with NO_COLOR (https://no-color.org).
 */
export interface TerminalWriter {
  /** Whether stderr is a terminal: a live progress line is possible. */
  readonly live: boolean
  /** Whether colour escapes may be written to that stream. */
  readonly colour: (to: "out" | "err") => boolean
  /** Columns of stderr (of stdout for "out"), 80 when not a terminal. */
  readonly width: (to?: "out" | "err") => number
  /** Writes text (whole lines) to stdout or stderr, with colour removed where colour is off. */
  readonly print: (to: "out" | "err", text: string) => void
  /** Shows or replaces the progress line on stderr, cut to the terminal's width; nothing without a terminal. */
  readonly status: (line: string) => void
  /** Takes the progress line off the screen. */
  readonly clearStatus: () => void
}

const SGR = /\x1b\[[0-9;]*m/g
const ESCAPES = /\x1b\[[0-9;?]*[A-Za-z]/g

export const stripColour = (text: string): string => text.replace(SGR, "")

/** At most `width` visible characters; a cut line ends with "…". */
export const fitWidth = (text: string, width: number): string => {
  const plain = text.replace(ESCAPES, "")
  if (plain.length <= width) return text
  return width <= 1 ? plain.slice(0, Math.max(0, width)) : `${plain.slice(0, width - 1)}…`
}

/** NO_COLOR: any non-empty value turns colour off. */
export const noColour = (env: Record<string, string | undefined>): boolean => (env.NO_COLOR ?? "") !== ""

const CLEAR_LINE = "\r\x1b[2K"

export const makeTerminalWriter = (
  streams: { readonly out: TerminalStream; readonly err: TerminalStream },
  env: Record<string, string | undefined> = process.env
): TerminalWriter => {
  const stream = (to: "out" | "err") => (to === "out" ? streams.out : streams.err)
  const live = streams.err.isTTY === true
  const colour = (to: "out" | "err") => stream(to).isTTY === true && !noColour(env)
  const width = (to: "out" | "err" = "err") => {
    const s = stream(to)
    return s.isTTY === true && s.columns !== undefined && s.columns > 0 ? s.columns : 80
  }
  let shown: string | undefined
  // One column short of the width: some terminals wrap as soon as the last column is written.
  const draw = () => {
    if (shown !== undefined) streams.err.write(`${CLEAR_LINE}${fitWidth(shown, width() - 1)}`)
  }
  const erase = () => {
    if (shown !== undefined) streams.err.write(CLEAR_LINE)
  }
  return {
    live,
    colour,
    width,
    print: (to, text) => {
      erase()
      stream(to).write(colour(to) ? text : stripColour(text))
      draw()
    },
    status: (line) => {
      const next = colour("err") ? line : stripColour(line)
      if (!live || next === shown) return
      shown = next
      draw()
    },
    clearStatus: () => {
      erase()
      shown = undefined
    }
  }
}

let processWriter: TerminalWriter | undefined

/** The process's stdout and stderr, shared by everything that writes to them. */
export const processTerminal = (): TerminalWriter =>
  (processWriter ??= makeTerminalWriter({ out: process.stdout, err: process.stderr }))

const lineSink = (writer: TerminalWriter, to: "out" | "err") =>
  new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, done) {
      writer.print(to, String(chunk))
      done()
    }
  })

/**
 * Effect's Console over the writer: Console.log to stdout, Console.error to stderr, both clearing the
 * progress line first. Effect's loggers print through the current Console, so log lines do too.
 */
export const terminalConsole = (writer: TerminalWriter): Console.Console => {
  const u = new NodeConsole({ stdout: lineSink(writer, "out"), stderr: lineSink(writer, "err"), colorMode: false })
  const run = (f: () => void) => Effect.sync(f)
  return {
    [Console.TypeId]: Console.TypeId,
    assert: (condition, ...args) => run(() => u.assert(condition, ...args)),
    clear: run(() => u.clear()),
    count: (label) => run(() => u.count(label)),
    countReset: (label) => run(() => u.countReset(label)),
    debug: (...args) => run(() => u.debug(...args)),
    dir: (item, options) => run(() => u.dir(item, options)),
    dirxml: (...args) => run(() => u.dirxml(...args)),
    error: (...args) => run(() => u.error(...args)),
    group: (options) => {
      const label = options?.label === undefined ? [] : [options.label]
      return run(() => (options?.collapsed === true ? u.groupCollapsed(...label) : u.group(...label)))
    },
    groupEnd: run(() => u.groupEnd()),
    info: (...args) => run(() => u.info(...args)),
    log: (...args) => run(() => u.log(...args)),
    table: (data, properties) => run(() => u.table(data, properties)),
    time: (label) => run(() => u.time(label)),
    timeEnd: (label) => run(() => u.timeEnd(label)),
    timeLog: (label, ...args) => run(() => u.timeLog(label, ...args)),
    trace: (...args) => run(() => u.trace(...args)),
    warn: (...args) => run(() => u.warn(...args)),
    unsafe: u
  }
}
