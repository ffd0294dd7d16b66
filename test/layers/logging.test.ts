import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, LogLevel, Option } from "effect"
import { layerLogging } from "../../src/layers/Logging.js"

const logTo = (format: "json" | "logfmt", level?: LogLevel.LogLevel) => {
  const file = join(mkdtempSync(join(tmpdir(), "pb-log-")), "sub", "run.log")
  const layer = layerLogging({ format: Option.some(format), file: Option.some(file), ...(level ? { level } : {}) })
  return { file, layer }
}

describe("layerLogging", () => {
  it.live("--log-file keeps every line, in JSON when --log-format json", () => {
    const { file, layer } = logTo("json")
    return Effect.gen(function* () {
      yield* Effect.logInfo("unit done").pipe(Effect.annotateLogs({ unit: "0xabc" }))
      yield* Effect.logWarning("slow host")
      const lines = readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>)
      expect(lines).toHaveLength(2)
      expect(lines[0]).toMatchObject({ message: "unit done", logLevel: "INFO", annotations: { unit: "0xabc" } })
      expect(lines[1]).toMatchObject({ message: "slow host", logLevel: "WARN" })
    }).pipe(Effect.provide(layer))
  })

  it.live("logfmt lines, and --log-level filters", () => {
    const { file, layer } = logTo("logfmt", LogLevel.Warning)
    return Effect.gen(function* () {
      yield* Effect.logInfo("hidden")
      yield* Effect.logError("shown")
      const text = readFileSync(file, "utf8")
      expect(text).not.toContain("hidden")
      expect(text).toMatch(/level=ERROR .*message=shown/)
    }).pipe(Effect.provide(layer))
  })
})
