import { describe, expect, it } from "vitest"
import { runCli } from "../support/cli.js"

const longest = (text: string) => Math.max(...text.split("\n").map((l) => l.length))

describe("--help (spawned process, output piped)", () => {
  it("no escape codes when piped, nor with NO_COLOR=1; real types, defaults, optional options; lines within 100 columns", async () => {
    const [piped, root] = await Promise.all([runCli(["run", "--help"], { env: { NO_COLOR: "" } }), runCli(["--help"], { env: { NO_COLOR: "1" } })])
    for (const r of [piped, root]) {
      expect(r.code).toBe(0)
      expect(r.stdout).not.toContain("\x1b")
      expect(longest(r.stdout)).toBeLessThanOrEqual(100)
    }
    const help = piped.stdout
    expect(help).toContain("polybackfill run [options] <job>")
    expect(help).toContain("OPTIONS (all optional)")
    expect(help).toMatch(/--workers auto\|N +requests per host/)
    expect(help).toMatch(/--shard i\/N +take only the units/)
    expect(help).toMatch(/--flush-interval DURATION +longest a partial batch waits[^]*\(default 2s\)/)
    expect(help).toMatch(/--request-timeout DURATION +longest one request may take \(default 30s\)/)
    expect(help).toMatch(/--rpc-url URL\.\.\. +Polygon JSON-RPC URL[^]*\(repeatable\)/)
    expect(help).not.toContain("A user-defined piece of text")
    expect(help).not.toMatch(/\binteger\b/)
    // The command list: one row per command, its description after a short gap, not at column 640.
    expect(root.stdout).toMatch(/^ {2}run {2,30}Run a job's pending units/m)
    expect(root.stdout).toMatch(/^ {2}clickhouse start {2,}Start the local ClickHouse/m)
  }, 60_000)
})
