import { describe, expect, it } from "vitest"
import { Cause, Effect, Exit, Option } from "effect"
import { suggestClickHouse, suggestCommand, suggestWith, withFlagsIn, withSuggestedFlags } from "../../src/cli/suggest.js"
import { ClickHouseError, LocalClickHouseError } from "../../src/domain/errors.js"
import { dropDatabase, freshDatabaseName, testServerUrl } from "../support/clickhouse.js"
import { runCli } from "../support/cli.js"
import { SinkStopped } from "../../src/streams/sink.js"
import { DEFAULT_SOURCES } from "../../src/domain/settings.js"

const defaults = { clickhouseUrl: Option.none<string>(), database: Option.none<string>(), stateDir: "./.polybackfill" }
const defaultUrls = { gammaUrl: DEFAULT_SOURCES.gamma, dataApiUrl: DEFAULT_SOURCES.dataApi, goldskyUrl: DEFAULT_SOURCES.goldsky, rpcUrl: [] }

describe("suggested commands", () => {
  it("with every option at its default, the bare command", () => {
    expect(suggestCommand("run fills --retry-errors", { clickhouse: defaults, checkpoint: "clickhouse", sources: { urls: defaultUrls, read: ["goldsky"] } })).toBe(
      "polybackfill run fills --retry-errors"
    )
  })

  it("repeats the ClickHouse, database, state dir, file checkpoints and the job's sources; never a password or an RPC key", () => {
    const clickhouse = { clickhouseUrl: Option.some("http://admin:s3cret@db.internal:8123"), database: Option.some("pm_test"), stateDir: "/var/lib/pb" }
    const urls = {
      ...defaultUrls,
      gammaUrl: "http://127.0.0.1:9/gamma",
      goldskyUrl: "http://127.0.0.1:9/gn",
      rpcUrl: ["https://polygon-mainnet.g.alchemy.com/v2/AbCdEfGhIjKlMnOpQrStUvWx12", "http://127.0.0.1:8545/"]
    }
    const fills = suggestCommand("run fills --retry-errors", { clickhouse, checkpoint: "file", sources: { urls, read: ["goldsky"] } })
    expect(fills).toBe(
      "polybackfill run fills --retry-errors --clickhouse-url 'http://admin:***@db.internal:8123/' --database pm_test --state-dir /var/lib/pb --checkpoint file --goldsky-url http://127.0.0.1:9/gn"
    )
    const onchain = suggestCommand("run onchain", { clickhouse: defaults, sources: { urls, read: ["rpc"] } })
    expect(onchain).toBe("polybackfill run onchain --rpc-url 'https://polygon-mainnet.g.alchemy.com/v2/***' --rpc-url http://127.0.0.1:8545/")
    expect(`${fills} ${onchain}`).not.toMatch(/s3cret|AbCdEfGh/)
    // status takes no source flags, migrate no --checkpoint either: each command gets the flags it takes.
    expect(suggestCommand("migrate", { clickhouse, checkpoint: "file", sources: { urls, read: ["goldsky"] } })).toBe(
      "polybackfill migrate --clickhouse-url 'http://admin:***@db.internal:8123/' --database pm_test --state-dir /var/lib/pb"
    )
    expect(suggestCommand("status fills", { clickhouse, checkpoint: "file", sources: { urls, read: ["goldsky"] } })).toBe(
      "polybackfill status fills --clickhouse-url 'http://admin:***@db.internal:8123/' --database pm_test --state-dir /var/lib/pb --checkpoint file"
    )
    expect(suggestCommand("status fills", { clickhouse: { ...defaults, clickhouseUrl: Option.some("embedded") } })).toBe("polybackfill status fills --clickhouse-url embedded")
  })

  it("the commands the layers below suggest in a failure get the same flags; the failure keeps its kind", () => {
    const suggest = (args: string) => suggestCommand(args, { clickhouse: { ...defaults, database: Option.some("pm_test") } })
    const missing = new ClickHouseError({ reason: "Query", message: 'database "pm_test" does not exist on http://h:8123: run "polybackfill migrate" to create it' })
    const exit = Effect.runSyncExit(withSuggestedFlags(suggest)(Effect.fail(missing)))
    const error = Exit.isFailure(exit) ? Cause.failureOption(exit.cause) : Option.none()
    expect(Option.getOrUndefined(error)).toBeInstanceOf(ClickHouseError)
    expect(Option.getOrUndefined(error)?.message).toBe('database "pm_test" does not exist on http://h:8123: run `polybackfill migrate --database pm_test` to create it')
    const refused = new SinkStopped({ error: missing, message: 'rows not written, no checkpoint moved: Table t.clob_fills does not exist (run "polybackfill migrate" to create the tables)' })
    const stopped = Effect.runSyncExit(withSuggestedFlags(suggest)(Effect.fail(refused)))
    expect(Exit.isFailure(stopped) && Option.getOrUndefined(Cause.failureOption(stopped.cause))).toMatchObject({
      _tag: "SinkStopped",
      message: "rows not written, no checkpoint moved: Table t.clob_fills does not exist (run `polybackfill migrate --database pm_test` to create the tables)"
    })
  })

  it("every command gets the flags it takes: reset the checkpoint, validate and pnl the ClickHouse ones, clickhouse start and stop the state dir only", () => {
    const clickhouse = { clickhouseUrl: Option.some("http://admin:s3cret@db.internal:8123"), database: Option.some("pm_test"), stateDir: "/var/lib/pb" }
    const target = "--clickhouse-url 'http://admin:***@db.internal:8123/' --database pm_test --state-dir /var/lib/pb"
    const suggest = suggestWith(clickhouse, "file")
    expect(suggest("reset trades --status error")).toBe(`polybackfill reset trades --status error ${target} --checkpoint file`)
    expect(suggest("validate")).toBe(`polybackfill validate ${target}`)
    expect(suggest("pnl rebuild")).toBe(`polybackfill pnl rebuild ${target}`)
    expect(suggest("clickhouse stop")).toBe("polybackfill clickhouse stop --state-dir /var/lib/pb")
    expect(suggestClickHouse("start", "/var/lib/pb")).toBe("polybackfill clickhouse start --state-dir /var/lib/pb")
    expect(suggest("clickhouse install")).toBe("polybackfill clickhouse install")
  })

  it("every command a text quotes gets the flags, placeholders and flags of its own kept; a second pass adds nothing", () => {
    const rewrite = withFlagsIn(suggestWith({ ...defaults, database: Option.some("pm_test") }, "file"))
    const once = rewrite('no units yet: run `polybackfill plan <job>`; unreadable cursor: start over with `polybackfill plan fills --rebuild`, or "polybackfill status fills"')
    expect(once).toBe(
      "no units yet: run `polybackfill plan <job> --database pm_test --checkpoint file`; unreadable cursor: start over with " +
        "`polybackfill plan fills --rebuild --database pm_test --checkpoint file`, or `polybackfill status fills --database pm_test --checkpoint file`"
    )
    expect(rewrite(once)).toBe(once)
    expect(withFlagsIn(suggestWith({ ...defaults, database: Option.some("a") }))("`polybackfill migrate --database b`")).toBe("`polybackfill migrate --database b`")
    const local = new LocalClickHouseError({ message: "runs but does not answer: restart it with `polybackfill clickhouse stop`" })
    const exit = Effect.runSyncExit(withSuggestedFlags(suggestWith({ ...defaults, stateDir: "/srv/pb" }))(Effect.fail(local)))
    expect(Exit.isFailure(exit) && Option.getOrUndefined(Cause.failureOption(exit.cause))).toMatchObject({
      _tag: "LocalClickHouseError",
      message: "runs but does not answer: restart it with `polybackfill clickhouse stop --state-dir /srv/pb`"
    })
  })

  it("spawned: status --database X suggests migrate with it before the schema exists, and `plan <job>` with it on an empty plan", async () => {
    const database = freshDatabaseName("suggest")
    const env = { CLICKHOUSE_URL: testServerUrl() }
    try {
      const missing = await runCli(["status", "--database", database], { env })
      expect(missing.code).toBe(1)
      expect(missing.stderr).toContain(`\`polybackfill migrate --database ${database}\``)
      expect((await runCli(["migrate", "--database", database], { env })).code).toBe(0)
      const empty = await runCli(["status", "--database", database], { env })
      expect(empty.code, empty.stderr).toBe(0)
      expect(empty.stdout).toContain(`no units yet: run \`polybackfill plan <job> --database ${database}\` (jobs: `)
    } finally {
      await Effect.runPromise(dropDatabase(database))
    }
  }, 90_000)
})
