import { createServer } from "node:http"
import { HttpRouter, HttpServer, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Duration, Effect, Exit, Fiber, Layer, Option, Random, TestClock } from "effect"
import { SourceError } from "../../../src/domain/errors.js"
import type { JsonRequest } from "../../../src/layers/http/request.js"
import { requestJson } from "../../../src/layers/http/request.js"
import { layerFixed } from "../../../src/layers/GovernorFixed.js"
import { layerUndiciTransport } from "../../../src/layers/http/undiciTransport.js"
import { DEFAULT_REQUEST_POLICY, RequestPolicy } from "../../../src/services/RequestPolicy.js"

/** A real HTTP server on loopback whose n-th answer (0-based) is scripted by the test. */
const serve = (script: (n: number) => Effect.Effect<HttpServerResponse.HttpServerResponse>) => {
  const hits = { count: 0, bodies: [] as Array<unknown> }
  const router = HttpRouter.empty.pipe(
    HttpRouter.get("/page", Effect.suspend(() => script(hits.count++))),
    HttpRouter.post(
      "/page",
      Effect.flatMap(HttpServerRequest.HttpServerRequest, (req) => req.json).pipe(
        Effect.orDie,
        Effect.flatMap((body) => {
          hits.bodies.push(body)
          return script(hits.count++)
        })
      )
    )
  )
  const layer = HttpServer.serve(router).pipe(
    Layer.provideMerge(NodeHttpServer.layer(() => createServer(), { port: 0, host: "127.0.0.1" }))
  )
  return { hits, layer }
}

const urlOf = Effect.map(HttpServer.HttpServer, (s) => {
  const a = s.address as HttpServer.TcpAddress
  return `http://127.0.0.1:${a.port}/page`
})

/** Real time passes for the loopback I/O, while Effect's clock stays the TestClock. */
const settle = Effect.promise(() => new Promise((r) => setTimeout(r, 50)))
/** Waits (in real time, bounded) until the server has seen `n` requests. */
const hitsReach = (hits: { count: number }, n: number) =>
  Effect.gen(function* () {
    for (let i = 0; i < 200 && hits.count < n; i++) yield* settle
    expect(hits.count).toBe(n)
  })
const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => Option.getOrThrow(Exit.isFailure(exit) ? Cause.failureOption(exit.cause) : Option.none())

const policy = (over: Partial<typeof DEFAULT_REQUEST_POLICY>) =>
  Effect.provideService(RequestPolicy, { ...DEFAULT_REQUEST_POLICY, ...over })

const run = (
  layer: Layer.Layer<HttpServer.HttpServer, unknown>,
  over: Partial<typeof DEFAULT_REQUEST_POLICY>,
  req: Omit<JsonRequest, "url"> = {},
  at: (url: string) => string = (url) => url
) =>
  Effect.flatMap(urlOf, (url) => requestJson({ ...req, url: at(url) })).pipe(
    policy(over),
    Effect.provide(Layer.mergeAll(layer, layerUndiciTransport, layerFixed(4)))
  )

const ok = HttpServerResponse.unsafeJson({ ok: true })
const status = (code: number, headers: Record<string, string> = {}) =>
  Effect.succeed(HttpServerResponse.text("no", { status: code, headers }))

describe("requestJson", () => {
  it.scoped("waits at least Retry-After before retrying a 429", () => {
    const { hits, layer } = serve((n) => (n === 0 ? status(429, { "retry-after": "5" }) : Effect.succeed(ok)))
    return Effect.gen(function* () {
      const fiber = yield* Effect.fork(run(layer, {}))
      yield* hitsReach(hits, 1)
      yield* TestClock.adjust(Duration.millis(4_999))
      yield* settle
      expect(hits.count).toBe(1)
      yield* TestClock.adjust(Duration.millis(1))
      expect(yield* Fiber.join(fiber)).toEqual({ ok: true })
      expect(hits.count).toBe(2)
    })
  })

  it.scoped("backs off exponentially with full jitter", () => {
    const { hits, layer } = serve((n) => (n < 2 ? status(503) : Effect.succeed(ok)))
    return Effect.gen(function* () {
      // Random.next gives 0.5 twice: waits are 0.5 * 250 ms, then 0.5 * 500 ms.
      const fiber = yield* Effect.fork(run(layer, { baseBackoff: Duration.millis(250) }).pipe(Effect.withRandom(Random.fixed([0.5]))))
      yield* hitsReach(hits, 1)
      yield* TestClock.adjust(Duration.millis(124))
      yield* settle
      expect(hits.count).toBe(1)
      yield* TestClock.adjust(Duration.millis(1))
      yield* hitsReach(hits, 2)
      yield* TestClock.adjust(Duration.millis(249))
      yield* settle
      expect(hits.count).toBe(2)
      yield* TestClock.adjust(Duration.millis(1))
      expect(yield* Fiber.join(fiber)).toEqual({ ok: true })
      expect(hits.count).toBe(3)
    })
  })

  it.scoped("fails a request that does not answer within --request-timeout", () => {
    const { hits, layer } = serve(() => Effect.never)
    return Effect.gen(function* () {
      const fiber = yield* Effect.fork(run(layer, { timeout: Duration.seconds(2), maxAttempts: 1 }))
      yield* hitsReach(hits, 1)
      yield* TestClock.adjust(Duration.seconds(2))
      const error = failureOf(yield* Fiber.await(fiber)) as SourceError
      expect(error.reason).toBe("Timeout")
      expect(error.message).toMatch(/did not answer within 2s \(--request-timeout\)/)
    })
  })

  it.scoped("gives up after maxAttempts with the last message", () => {
    const { hits, layer } = serve(() => status(500))
    return Effect.gen(function* () {
      // Waits of 0.99 * 250 ms and 0.99 * 500 ms: each adjust releases exactly one retry.
      const fiber = yield* Effect.fork(run(layer, { maxAttempts: 3 }).pipe(Effect.withRandom(Random.fixed([0.99]))))
      yield* hitsReach(hits, 1)
      yield* TestClock.adjust(Duration.millis(250))
      yield* hitsReach(hits, 2)
      yield* TestClock.adjust(Duration.millis(500))
      yield* hitsReach(hits, 3)
      const error = failureOf(yield* Fiber.await(fiber)) as SourceError
      expect(error.message).toMatch(/HTTP 500.*gave up after 3 attempts/)
    })
  })

  it.scoped("does not retry a 4xx other than 408 and 429", () => {
    const { hits, layer } = serve(() => status(404))
    return Effect.gen(function* () {
      const error = failureOf(yield* Effect.exit(run(layer, {}))) as SourceError
      expect(hits.count).toBe(1)
      expect(error.reason).toBe("Fatal")
      expect(error.message).toMatch(/HTTP 404/)
    })
  })

  it.scoped("POSTs a JSON body; a failure hidden in a 200 (GraphQL errors) is retried when check says so, and fails at once otherwise", () => {
    const graphqlError = (message: string) => Effect.succeed(HttpServerResponse.unsafeJson({ errors: [{ message }] }))
    const { hits, layer } = serve((n) => (n === 0 ? graphqlError("Query timed out") : n === 1 ? Effect.succeed(ok) : graphqlError("bad field")))
    const check = (json: unknown, where: string, host: string) => {
      const errors = (json as { errors?: ReadonlyArray<{ message: string }> }).errors
      if (errors === undefined) return undefined
      const transient = errors[0]!.message.includes("timed out")
      return new SourceError({ reason: transient ? "Transient" : "Fatal", host, message: `${where}: ${errors[0]!.message}` })
    }
    return Effect.gen(function* () {
      const fiber = yield* Effect.fork(run(layer, {}, { body: { query: "{ x }" }, check }).pipe(Effect.withRandom(Random.fixed([0.5]))))
      yield* hitsReach(hits, 1)
      yield* TestClock.adjust(Duration.millis(125))
      expect(yield* Fiber.join(fiber)).toEqual({ ok: true })
      expect(hits.bodies).toEqual([{ query: "{ x }" }, { query: "{ x }" }])
      const error = failureOf(yield* Effect.exit(run(layer, {}, { body: { query: "{ y }" }, check }))) as SourceError
      expect(hits.count).toBe(3)
      expect(error.reason).toBe("Fatal")
      expect(error.message).toMatch(/bad field$/)
    })
  })

  it.scoped("never prints a key carried in the URL", () => {
    const { layer } = serve(() => status(404))
    return Effect.gen(function* () {
      const error = failureOf(yield* Effect.exit(run(layer, {}, {}, (url) => `${url}?api_key=sekret123`))) as SourceError
      expect(error.message).toMatch(/HTTP 404/)
      expect(error.message).not.toContain("sekret123")
    })
  })

  it.effect("a connection refused is a transport error that names the redacted URL, never the key", () =>
    Effect.gen(function* () {
      // A port nothing listens on: bind one, note it, close it.
      const port = yield* Effect.promise(
        () =>
          new Promise<number>((resolve) => {
            const s = createServer()
            s.listen(0, "127.0.0.1", () => {
              const p = (s.address() as { port: number }).port
              s.close(() => resolve(p))
            })
          })
      )
      const error = failureOf(
        yield* Effect.exit(
          requestJson({ url: `http://127.0.0.1:${port}/v2/abcdefghijklmnopqrstuvwxyz123456?key=sekret123` }).pipe(
            policy({ maxAttempts: 1 }),
            Effect.provide(Layer.mergeAll(layerUndiciTransport, layerFixed(1)))
          )
        )
      ) as SourceError
      expect(error.reason).toBe("Transient")
      expect(error.message).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v2\/\*\*\*\?key=\*\*\*: Transport error/)
      expect(error.message).not.toContain("sekret123")
      expect(error.message).not.toContain("abcdefghijklmnopqrstuvwxyz123456")
    }))
})
