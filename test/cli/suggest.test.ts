import { describe, expect, it } from "vitest"
import { Option } from "effect"
import { suggestCommand } from "../../src/cli/suggest.js"
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
    // status takes no source flags: none are added.
    expect(suggestCommand("status fills", { clickhouse, checkpoint: "file" })).toBe(
      "polybackfill status fills --clickhouse-url 'http://admin:***@db.internal:8123/' --database pm_test --state-dir /var/lib/pb --checkpoint file"
    )
    expect(suggestCommand("status fills", { clickhouse: { ...defaults, clickhouseUrl: Option.some("embedded") } })).toBe("polybackfill status fills --clickhouse-url embedded")
  })
})
