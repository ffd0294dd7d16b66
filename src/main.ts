#!/usr/bin/env node
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Effect } from "effect"
import { loadEnvFiles } from "./cli/envFiles.js"
import { reportFailures, teardown } from "./cli/report.js"
import { cli } from "./cli/root.js"

loadEnvFiles(process.cwd())

cli(process.argv).pipe(
  reportFailures,
  Effect.provide(NodeContext.layer),
  NodeRuntime.runMain({ disableErrorReporting: true, disablePrettyLogger: true, teardown })
)
