import { appendFileSync, mkdirSync } from "node:fs"
import { dirname } from "node:path"
import { Layer, Logger, LogLevel, Option } from "effect"

export type LogFormat = "pretty" | "json" | "logfmt"

export interface LoggingOptions {
  readonly format: Option.Option<LogFormat>
  readonly file: Option.Option<string>
  readonly level?: LogLevel.LogLevel
}

/** Pretty on a terminal, logfmt otherwise (unless told); always to stderr so stdout stays for results. */
const consoleLogger = (format: LogFormat) => {
  switch (format) {
    case "pretty":
      return Logger.prettyLogger({ stderr: true, colors: process.stderr.isTTY === true, mode: "tty" })
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

export const layerLogging = (options: LoggingOptions): Layer.Layer<never> => {
  const format = Option.getOrElse(options.format, (): LogFormat => (process.stderr.isTTY ? "pretty" : "logfmt"))
  const loggers = Option.match(options.file, {
    onNone: () => consoleLogger(format),
    onSome: (path) => Logger.zip(consoleLogger(format), fileLogger(path, format))
  })
  const replaced = Logger.replace(Logger.defaultLogger, loggers)
  return options.level === undefined ? replaced : Layer.merge(replaced, Logger.minimumLogLevel(options.level))
}
