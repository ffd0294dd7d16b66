import { spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import type { TestProject } from "vitest/node"
import { ensureLocalClickHouse, stopLocalClickHouse } from "../src/layers/LocalClickHouse.js"
import { findServerBinary } from "../src/layers/localClickHouseConfig.js"
import { NOT_INSTALLED_MESSAGE } from "../src/layers/EmbeddedClickHouse.js"
import { BUILT_CLI, BUILT_CLI_ENV, ROOT } from "./support/cliCommand.js"

export type TestEngine = "server" | "embedded"

declare module "vitest" {
  export interface ProvidedContext {
    /** The ClickHouse server integration tests use: CLICKHOUSE_URL when set, else one local server for the whole run. */
    clickhouseUrl: string
    /** The engines the both-engine tests run on: the server above, and the embedded engine (chdb). */
    engines: ReadonlyArray<TestEngine>
    /** A directory each test process puts its embedded engine under (one engine per process). */
    embeddedRoot: string
  }
}

/**
 * The multi-process tests (CLI children, the fault drill) need a server. On a machine without one,
 * Debian as root installs it, as `polybackfill clickhouse install` does; anywhere else the run stops
 * with one line saying how, rather than skipping those tests.
 */
const ensureServerInstalled = (): void => {
  if (findServerBinary() !== undefined) return
  if (existsSync("/etc/debian_version") && process.getuid?.() === 0) {
    console.log("test setup: no ClickHouse server found; installing clickhouse-server with apt-get (the multi-process tests need one)")
    for (const args of [["update", "-qq"], ["install", "-y", "-qq", "clickhouse-server"]]) {
      const r = spawnSync("apt-get", args, { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } })
      if (r.status !== 0) throw new Error(`test setup: "apt-get ${args.join(" ")}" failed: install clickhouse-server, or set CLICKHOUSE_URL`)
    }
    if (findServerBinary() !== undefined) return
  }
  throw new Error(
    'test setup: the tests need a ClickHouse server: "sudo npx polybackfill clickhouse install" (Debian), or set CLICKHOUSE_URL to a server of yours'
  )
}

/**
 * The CLI built once for the suite: the tests start it as a process a hundred times and more, and a
 * built CLI starts in half the time of one run from source. Incremental, so a rerun builds only what
 * changed. A build that fails stops the run with tsc's own message.
 */
const buildCli = (): void => {
  const outDir = join(ROOT, ".test-dist")
  const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc")
  const r = spawnSync(process.execPath, [tsc, "-p", join(ROOT, "tsconfig.build.json"), "--outDir", outDir, "--incremental", "--tsBuildInfoFile", join(outDir, ".tsbuildinfo")], {
    cwd: ROOT,
    encoding: "utf8"
  })
  if (r.status !== 0) throw new Error(`test setup: building the CLI for the spawned-process tests failed:\n${r.stdout}${r.stderr}`)
  process.env[BUILT_CLI_ENV] = BUILT_CLI
}

/** Both engines unless POLYBACKFILL_TEST_ENGINES=server says otherwise; chdb missing is an error, not a skip. */
const chooseEngines = (): ReadonlyArray<TestEngine> => {
  if (process.env["POLYBACKFILL_TEST_ENGINES"] === "server") {
    console.log("test setup: POLYBACKFILL_TEST_ENGINES=server: the both-engine tests run on the server only")
    return ["server"]
  }
  try {
    createRequire(import.meta.url).resolve("chdb/connection")
  } catch {
    throw new Error(`test setup: ${NOT_INSTALLED_MESSAGE} (or set POLYBACKFILL_TEST_ENGINES=server to test the server only)`)
  }
  return ["server", "embedded"]
}

/**
 * One ClickHouse server for the whole run, started through the same manager users get (so the tests
 * also prove it works), on free ports in a throwaway state dir, and stopped at the end; and a directory
 * for the embedded engines of the test processes, removed at the end.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  project.provide("engines", chooseEngines())
  buildCli()
  const embeddedRoot = mkdtempSync(join(tmpdir(), "polybackfill-embedded-"))
  project.provide("embeddedRoot", embeddedRoot)
  const removeEmbedded = () => rmSync(embeddedRoot, { recursive: true, force: true })
  const configured = process.env["CLICKHOUSE_URL"]
  if (configured !== undefined && configured !== "") {
    project.provide("clickhouseUrl", configured)
    return async () => removeEmbedded()
  }
  ensureServerInstalled()
  const stateDir = mkdtempSync(join(tmpdir(), "polybackfill-test-"))
  const server = await Effect.runPromise(ensureLocalClickHouse(stateDir))
  project.provide("clickhouseUrl", server.url)
  return async () => {
    await Effect.runPromise(stopLocalClickHouse(stateDir))
    rmSync(stateDir, { recursive: true, force: true })
    removeEmbedded()
  }
}
