import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "@effect/vitest"
import { loadEnvFiles } from "../../src/cli/envFiles.js"

const KEYS = ["PB_TEST_A", "PB_TEST_B", "PB_TEST_C"] as const

describe("loadEnvFiles", () => {
  afterEach(() => {
    for (const k of KEYS) delete process.env[k]
  })

  it("loads .env.local before .env, and never overrides the real environment", () => {
    const dir = mkdtempSync(join(tmpdir(), "pb-env-"))
    writeFileSync(join(dir, ".env.local"), "PB_TEST_A=local\nPB_TEST_B=local\n")
    writeFileSync(join(dir, ".env"), "PB_TEST_A=dotenv\nPB_TEST_B=dotenv\nPB_TEST_C=dotenv\n")
    process.env.PB_TEST_B = "shell"
    const loaded = loadEnvFiles(dir)
    expect(loaded.map((p) => p.slice(dir.length + 1))).toEqual([".env.local", ".env"])
    expect(process.env.PB_TEST_A).toBe("local")
    expect(process.env.PB_TEST_B).toBe("shell")
    expect(process.env.PB_TEST_C).toBe("dotenv")
  })

  it("does nothing when neither file exists", () => {
    expect(loadEnvFiles(mkdtempSync(join(tmpdir(), "pb-env-")))).toEqual([])
  })
})
