import { closeSync, existsSync, openSync, readFileSync, readSync, fstatSync } from "node:fs"
import { get as httpGet } from "node:http"
import { createServer } from "node:net"
import { Effect } from "effect"

/**
 * Alive means signalable and not a zombie: a server this process spawned and then stopped stays a
 * zombie until Node reaps it, and must already count as gone.
 */
export const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return false
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z"
  } catch {
    return existsSync(`/proc/${pid}`) || !existsSync("/proc/self")
  }
}

/**
 * Whether `pid` is the server started with our config file. A recorded pid can be reused by an
 * unrelated process after a reboot; its command line tells them apart. Without /proc (macOS), a live
 * pid is trusted.
 */
export const runsWithConfig = (pid: number, configPath: string): boolean => {
  if (!existsSync("/proc/self")) return isAlive(pid)
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").some((arg) => arg.includes(configPath))
  } catch {
    return false
  }
}

/** A port the OS says is free right now on loopback (0 asks for any). */
export const freePort = (preferred = 0): Effect.Effect<number, Error> =>
  Effect.async<number, Error>((resume) => {
    const server = createServer()
    server.once("error", (e) => resume(Effect.fail(e)))
    server.listen(preferred, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resume(Effect.succeed(port)))
    })
    return Effect.sync(() => server.close())
  })

/**
 * GET /ping answered "Ok." (bounded: a wedged server must not hang the caller). No keep-alive: the
 * server waits for open connections when it shuts down, so a pooled socket would slow every stop.
 */
export const pingOk = (url: string, timeoutMs = 2_000): Effect.Effect<boolean> =>
  Effect.async<boolean>((resume) => {
    const controller = new AbortController()
    let settled = false
    const settle = (ok: boolean) => {
      if (settled) return
      settled = true
      resume(Effect.succeed(ok))
    }
    const signal = AbortSignal.any([controller.signal, AbortSignal.timeout(timeoutMs)])
    const request = httpGet(`${url}/ping`, { agent: false, signal }, (res) => {
      let body = ""
      res.setEncoding("utf8")
      res.on("data", (chunk: string) => (body += chunk))
      res.on("end", () => settle(res.statusCode === 200 && body.startsWith("Ok")))
      res.on("error", () => settle(false))
    })
    request.on("error", () => settle(false))
    return Effect.sync(() => controller.abort())
  })

/** The last non-empty line of a log file, for an error message that says what the server said. */
export const lastLogLine = (path: string): string | undefined => {
  try {
    const fd = openSync(path, "r")
    try {
      const size = fstatSync(fd).size
      const length = Math.min(size, 8192)
      const buffer = Buffer.alloc(length)
      readSync(fd, buffer, 0, length, size - length)
      const lines = buffer.toString("utf8").split("\n").map((l) => l.trim()).filter((l) => l !== "")
      const last = lines[lines.length - 1]
      return last === undefined ? undefined : last.length > 300 ? last.slice(0, 300) + "…" : last
    } finally {
      closeSync(fd)
    }
  } catch {
    return undefined
  }
}
