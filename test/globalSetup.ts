import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import type { TestProject } from "vitest/node"
import { ensureLocalClickHouse, stopLocalClickHouse } from "../src/layers/LocalClickHouse.js"

declare module "vitest" {
  export interface ProvidedContext {
    /** The ClickHouse integration tests use: CLICKHOUSE_URL when set, else one local server for the whole run. */
    clickhouseUrl: string
  }
}

/**
 * One ClickHouse for the whole run, started through the same manager users get (so the tests also
 * prove it works), on free ports in a throwaway state dir, and stopped at the end.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const configured = process.env["CLICKHOUSE_URL"]
  if (configured !== undefined && configured !== "") {
    project.provide("clickhouseUrl", configured)
    return undefined
  }
  const stateDir = mkdtempSync(join(tmpdir(), "polybackfill-test-"))
  const server = await Effect.runPromise(ensureLocalClickHouse(stateDir))
  project.provide("clickhouseUrl", server.url)
  return async () => {
    await Effect.runPromise(stopLocalClickHouse(stateDir))
    rmSync(stateDir, { recursive: true, force: true })
  }
}
