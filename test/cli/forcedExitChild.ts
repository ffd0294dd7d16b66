/**
 * A program whose shutdown never ends, under the CLI's signal handling (installForcedExit, teardown):
 * the first SIGINT interrupts it and its finalizer hangs, so a second SIGINT always lands during the
 * shutdown. Spawned by exitCodes.test.ts.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Effect } from "effect"
import { installForcedExit, setLeftBehind, teardown } from "../../src/cli/report.js"

installForcedExit()
setLeftBehind(() => "3 units of fills stay in_progress under run r1")

Effect.addFinalizer(() => Effect.never).pipe(
  Effect.zipRight(Effect.sync(() => process.stdout.write("ready\n"))),
  Effect.zipRight(Effect.never),
  Effect.scoped,
  NodeRuntime.runMain({ disableErrorReporting: true, disablePrettyLogger: true, teardown })
)
