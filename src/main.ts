#!/usr/bin/env node
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Effect } from "effect"
import { loadEnvFiles } from "./cli/envFiles.js"
import { tuneHeapGrowth } from "./cli/heapGrowth.js"
import { installForcedExit, reportFailures, teardown } from "./cli/report.js"
import { cli } from "./cli/root.js"

tuneHeapGrowth()
loadEnvFiles(process.cwd())
installForcedExit()

cli(process.argv).pipe(
  reportFailures,
  Effect.provide(NodeContext.layer),
  NodeRuntime.runMain({ disableErrorReporting: true, disablePrettyLogger: true, teardown })
)
