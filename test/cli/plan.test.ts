import { afterAll, describe, expect, it } from "vitest"
import { Effect } from "effect"
import { makeClickHouse } from "../../src/layers/ClickHouseLive.js"
import { MIGRATIONS } from "../../src/layers/migrations/index.js"
import { ClickHouse } from "../../src/services/ClickHouse.js"
import { migrate } from "../../src/streams/migrate.js"
import { dropDatabase, freshDatabaseName, testConnection, testServerUrl } from "../support/clickhouse.js"
import { runCli } from "../support/cli.js"

describe("plan from the command line (spawned process)", () => {
  const database = freshDatabaseName("cli_plan")
  afterAll(() => Effect.runPromise(dropDatabase(database)))

  it("plan fills before any markets are loaded: one line saying to run markets first, exit 1, nothing planned", async () => {
    await Effect.runPromise(
      Effect.scoped(
        Effect.flatMap(makeClickHouse(testConnection(database), { createDatabase: true }), (ch) =>
          migrate(MIGRATIONS, () => Effect.void).pipe(Effect.provideService(ClickHouse, ch))
        )
      )
    )
    const result = await runCli(["plan", "fills"], { env: { CLICKHOUSE_URL: testServerUrl(), CLICKHOUSE_DATABASE: database } })
    expect(result.code).toBe(1)
    expect(result.stderr.trim().split("\n")).toEqual([
      `polybackfill: no markets in ${database} to plan fills from: run \`polybackfill run markets\` first (after \`polybackfill plan markets\`)`
    ])
    expect(result.stdout).not.toMatch(/units planned|new units added/)
  })
})
