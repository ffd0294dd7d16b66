import { appendFileSync, mkdirSync } from "node:fs"
import { dirname } from "node:path"
import { Layer, Logger, LogLevel, Option } from "effect"
import type { TerminalWriter } from "./Terminal.js"
import { processTerminal } from "./Terminal.js"

export type LogFormat = "pretty" | "json" | "logfmt"

export interface LoggingOptions {
  readonly format: Option.Option<LogFormat>
  readonly file: Option.Option<string>
  readonly level?: LogLevel.LogLevel
}

/**
 * Pretty on a terminal, logfmt otherwise (unless told); always to stderr so stdout stays for results.
 * Each logger prints through the current Console, which the CLI points at the terminal writer.
 */
const consoleLogger = (format: LogFormat, terminal: TerminalWriter) => {
  switch (format) {
    case "pretty":
      return Logger.prettyLogger({ stderr: true, colors: terminal.colour("err"), mode: "tty" })
    case "json":
      return Logger.withConsoleError(Logger.jsonLogger)
    case "logfmt":
      return Logger.withConsoleError(Logger.logfmtLogger)
  }
}

/** `--log-file` keeps every line (appended synchronously, so a crash loses nothing already logged). */
const fileLogger = (path: string, format: LogFormat) => {
  mkdirSync(dirname(path), { recursive: true })
  const base = format === "json" ? Logger.jsonLogger : Logger.logfmtLogger
  return Logger.map(base, (line) => appendFileSync(path, line + "\n"))
}

export const layerLogging = (options: LoggingOptions, terminal: TerminalWriter = processTerminal()): Layer.Layer<never> => {
  const format = Option.getOrElse(options.format, (): LogFormat => (terminal.live ? "pretty" : "logfmt"))
  const loggers = Option.match(options.file, {
    onNone: () => consoleLogger(format, terminal),
    onSome: (path) => Logger.zip(consoleLogger(format, terminal), fileLogger(path, format))
  })
  const replaced = Logger.replace(Logger.defaultLogger, loggers)
  return options.level === undefined ? replaced : Layer.merge(replaced, Logger.minimumLogLevel(options.level))
}
