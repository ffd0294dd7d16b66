import { Command } from "@effect/cli"
// The module, not the package index: the index loads every module, API-doc bundles included (about 20 MB of heap).
import * as Process from "@effect/platform/Command"
import { existsSync } from "node:fs"
import { Config, Console, Effect, Option } from "effect"
import { LocalClickHouseError } from "../domain/errors.js"
import { isEmbeddedUrl } from "../domain/settings.js"
import { ensureLocalClickHouse, localClickHouseStatus, stopLocalClickHouse } from "../layers/LocalClickHouse.js"
import { findServerBinary } from "../layers/localClickHouseConfig.js"
import { notAnsweringMessage, notRunningMessage, startedMessage } from "./clickhouseLayer.js"
import { clickhouseOptions, logOptions, withLogging } from "./common.js"
import { suggestClickHouse } from "./suggest.js"

const options = { stateDir: clickhouseOptions.stateDir, ...logOptions }

/** start and stop manage a server; with CLICKHOUSE_URL=embedded there is none (the engine lives in each command). */
const refuseEmbedded = (verb: string) =>
  Config.string("CLICKHOUSE_URL").pipe(
    Config.option,
    Effect.orElseSucceed(() => Option.none<string>()),
    Effect.flatMap((url) =>
      Option.exists(url, isEmbeddedUrl)
        ? new LocalClickHouseError({
            message: `clickhouse ${verb} manages a server, and CLICKHOUSE_URL=embedded runs the engine inside each command, so there is nothing to ${verb}: unset CLICKHOUSE_URL to use the managed server (installed by "polybackfill clickhouse install")`
          })
        : Effect.void
    )
  )

const start = Command.make("start", options, (opts) =>
  refuseEmbedded("start").pipe(
    Effect.zipRight(ensureLocalClickHouse(opts.stateDir)),
    Effect.flatMap((server) =>
      Console.log(
        server.reused
          ? `the local ClickHouse is already running at ${server.url} (pid ${server.pid}, native port ${server.tcpPort}); stop it with \`${suggestClickHouse("stop", opts.stateDir)}\``
          : startedMessage(server, opts.stateDir)
      )
    ),
    withLogging(opts)
  )
).pipe(Command.withDescription("Start the local ClickHouse under --state-dir (or report the one already running)"))

const stop = Command.make("stop", options, (opts) =>
  refuseEmbedded("stop").pipe(
    Effect.zipRight(stopLocalClickHouse(opts.stateDir)),
    Effect.flatMap((result) =>
      result._tag === "Stopped"
        ? Console.log(`stopped the local ClickHouse (pid ${result.pid}${result.forced ? ", after SIGKILL" : ""})`)
        : Console.log("the local ClickHouse was not running")
    ),
    withLogging(opts)
  )
).pipe(Command.withDescription("Stop the local ClickHouse this state dir started (only that process)"))

const status = Command.make("status", options, (opts) =>
  localClickHouseStatus(opts.stateDir).pipe(
    Effect.flatMap((s) => {
      switch (s._tag) {
        case "Running":
          return Console.log(`status: running\npid:    ${s.pid}\nurl:    ${s.url}\nnative: 127.0.0.1:${s.tcpPort} (clickhouse-client --port ${s.tcpPort})\ndata:   ${s.dataDir}`)
        // Not usable: exit 1, so a script can tell (`polybackfill clickhouse status || polybackfill clickhouse start`).
        case "Unresponsive":
          return Console.log(`status: not answering /ping\npid:    ${s.pid}\nurl:    ${s.url}\ndata:   ${s.dataDir}\nlog:    ${s.errorLog}`).pipe(
            Effect.zipRight(new LocalClickHouseError({ message: notAnsweringMessage(s, opts.stateDir) }))
          )
        case "NotRunning":
          return Console.log(`status: not running\ndata:   ${s.dataDir}`).pipe(
            Effect.zipRight(new LocalClickHouseError({ message: notRunningMessage(opts.stateDir) }))
          )
      }
    }),
    withLogging(opts)
  )
).pipe(Command.withDescription("Show whether the local ClickHouse runs, its pid, URL, native port and data directory (exit 1 when it does not run)"))

const run = (command: string, ...args: Array<string>) =>
  Process.make(command, ...args).pipe(
    Process.env({ DEBIAN_FRONTEND: "noninteractive" }),
    Process.stdout("inherit"),
    Process.stderr("inherit"),
    Process.exitCode,
    Effect.mapError((e) => new LocalClickHouseError({ message: `cannot run ${command}: ${e.message}` })),
    Effect.filterOrFail(
      (code) => code === 0,
      (code) => new LocalClickHouseError({ message: `"${command} ${args.join(" ")}" failed with exit code ${code}` })
    )
  )

const APT = 'apt-get update && apt-get install -y clickhouse-server'

const install = Command.make("install", logOptions, (opts) =>
  Effect.gen(function* () {
    const present = findServerBinary()
    if (present !== undefined) return yield* Console.log(`ClickHouse server already installed: ${present.command}`)
    if (!existsSync("/etc/debian_version")) {
      return yield* new LocalClickHouseError({
        message: `automatic install needs Debian's apt-get: install ClickHouse from https://clickhouse.com/docs/en/install (the single "clickhouse" binary on PATH will do), or set CLICKHOUSE_URL`
      })
    }
    if (process.getuid?.() !== 0) {
      return yield* new LocalClickHouseError({ message: `installing needs root: run "sudo sh -c '${APT}'", or run this command as root` })
    }
    yield* run("apt-get", "update")
    yield* run("apt-get", "install", "-y", "clickhouse-server")
    const installed = findServerBinary()
    if (installed === undefined) {
      return yield* new LocalClickHouseError({ message: "apt-get finished but no clickhouse-server binary was found on PATH or in /usr/sbin" })
    }
    yield* Console.log(`installed ClickHouse server: ${installed.command}`)
  }).pipe(withLogging(opts))
).pipe(Command.withDescription(`Install the ClickHouse server (Debian, as root: ${APT})`))

export const clickhouseCommand = Command.make("clickhouse").pipe(
  Command.withDescription("Manage the local ClickHouse that polybackfill runs when no CLICKHOUSE_URL is set"),
  Command.withSubcommands([start, stop, status, install])
)
