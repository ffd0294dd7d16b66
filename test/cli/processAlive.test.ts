import { spawnSync } from "node:child_process"
import { hostname } from "node:os"
import { describe, expect, it } from "vitest"
import { processAlive } from "../../src/cli/run.js"

describe("processAlive (a heartbeat's process on this host)", () => {
  it("this process lives; a process that exited does not; another host's cannot be told", () => {
    expect(processAlive(hostname(), process.pid)).toBe(true)
    const gone = spawnSync(process.execPath, ["-e", "0"]).pid
    expect(processAlive(hostname(), gone)).toBe(false)
    expect(processAlive(`not-${hostname()}`, process.pid)).toBeUndefined()
    expect(processAlive(hostname(), 0)).toBeUndefined()
  })
})
