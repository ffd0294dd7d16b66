/**
 * Simulator benchmark. Starts a 171,000-market / 10M-fill world in a child process (the lean entry
 * bench/simulatorServe.ts, so the figures are the simulator's own), reports its start time, serves a
 * few hundred requests across every API (eth_getLogs over block ranges included) and reports its
 * resident memory, then measures the requests per second it sustains with no latency under a
 * loopback load from another child process, bounded in time.
 *
 *   node_modules/.bin/vite-node bench/simulator.ts [--markets 171000] [--fills 10000000] [--wallets 50000] [--seconds 20] [--v8-defaults]
 *
 * The child runs with V8_FLAGS below unless --v8-defaults: with Node's default heap sizing V8 keeps
 * the garbage of large answers (a 10,000-log eth_getLogs is ~7 MB of JSON) and RSS settles near
 * 420 MB although the live set stays near 210 MB; capping the heap keeps RSS near the live set.
 */
import { spawn } from "node:child_process"
import type { ChildProcess } from "node:child_process"
import { createInterface } from "node:readline"
import { V2_GENESIS_BLOCK } from "../src/domain/polygon.js"
import { worldConfig } from "../src/simulator/config.js"
import { marketInfo, walletAddress } from "../src/simulator/market.js"
import { World } from "../src/simulator/world.js"

const arg = (name: string, dflt: number): number => {
  const k = process.argv.indexOf(`--${name}`)
  return k >= 0 ? Number(process.argv[k + 1]) : dflt
}
const MARKETS = arg("markets", 171_000)
const FILLS = arg("fills", 10_000_000)
const WALLETS = arg("wallets", 50_000)
const SECONDS = arg("seconds", 20)
const CONCURRENCY = arg("concurrency", 16)
const V8_FLAGS = process.argv.includes("--v8-defaults") ? [] : ["--max-old-space-size=128", "--max-semi-space-size=2"]

const mb = (bytes: number) => `${Math.round(bytes / 1e6)} MB`
const since = (t0: number) => Math.round(performance.now() - t0)
const hex = (n: number) => "0x" + n.toString(16)

interface Ready {
  readonly gammaUrl: string
  readonly dataApiUrl: string
  readonly goldskyUrl: string
  readonly rpcUrl: string
  readonly statsUrl: string
  readonly startMs: number
  readonly buildMs: number
  readonly rssBefore: number
  readonly matches: number
}

/** fetch with one retry: a keep-alive socket the server closed while idle fails once ("other side closed"). */
const fetchRetry = async (url: string, init?: RequestInit): Promise<Response> => {
  try {
    return await fetch(url, init)
  } catch {
    return await fetch(url, init)
  }
}
const getText = async (url: string) => (await fetchRetry(url)).text()
const post = async (url: string, body: unknown) =>
  (await fetchRetry(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })).text()

const memoryOf = async (statsUrl: string, gc = false) => {
  const s = JSON.parse(await getText(gc ? `${statsUrl}?gc=1` : statsUrl)) as { process: { rssBytes: number; peakRssBytes: number; heapUsedBytes: number; heapTotalBytes: number; arrayBuffersBytes: number } }
  const p = s.process
  return `RSS ${mb(p.rssBytes)} (peak ${mb(p.peakRssBytes)}; JS heap ${mb(p.heapUsedBytes)} used of ${mb(p.heapTotalBytes)}, typed arrays ${mb(p.arrayBuffersBytes)})`
}

const startChild = (): Promise<{ child: ChildProcess; ready: Ready; spawnMs: number }> =>
  new Promise((resolve, reject) => {
    const t0 = performance.now()
    const child = spawn(
      process.execPath,
      [...V8_FLAGS, "node_modules/vite-node/vite-node.mjs", "bench/simulatorServe.ts", "--markets", String(MARKETS), "--fills", String(FILLS), "--wallets", String(WALLETS)],
      { stdio: ["ignore", "pipe", "inherit"] }
    )
    child.on("error", reject)
    child.on("exit", (code) => reject(new Error(`simulator child exited with ${code}`)))
    createInterface({ input: child.stdout! }).once("line", (line) => resolve({ child, ready: JSON.parse(line) as Ready, spawnMs: performance.now() - t0 }))
  })

const measure = async () => {
  const { child, ready, spawnMs } = await startChild()
  // The same world, rebuilt here (deterministic) to pick valid markets, wallets and blocks for requests.
  const world = new World(worldConfig({ seed: 42, markets: MARKETS, wallets: WALLETS, from: "2026-03-01", to: "2026-06-01", fills: FILLS }))
  console.log(`simulator child: node ${V8_FLAGS.join(" ") || "(default V8 heap flags)"} vite-node bench/simulatorServe.ts`)
  console.log(`world: ${MARKETS} markets, ${WALLETS} wallets, ${ready.matches} matches (~${FILLS} OrderFilled events), blocks ${world.firstBlock}..${world.headBlock}`)
  console.log(
    `start: index built in ${Math.round(ready.buildMs)} ms, listening ${Math.round(ready.startMs)} ms after the simulator modules loaded ` +
      `(${Math.round(spawnMs)} ms from spawning vite-node); ${await memoryOf(ready.statsUrl)}, of which ${mb(ready.rssBefore)} before the world`
  )

  let requests = 0
  const tg = performance.now()
  let cursor: string | undefined
  for (let p = 0; p < 20; p++, requests++) {
    const body = JSON.parse(await getText(`${ready.gammaUrl}/markets/keyset?limit=500${cursor !== undefined ? `&after_cursor=${cursor}` : ""}`)) as { next_cursor?: string }
    cursor = body.next_cursor
  }
  for (let p = 0; p < 5; p++, requests++) await getText(`${ready.gammaUrl}/markets?limit=500&offset=${p * 400}&closed=true`)
  console.log(`  gamma: 25 pages of 500 markets in ${since(tg)} ms; ${await memoryOf(ready.statsUrl)}`)

  const ts = performance.now()
  let fills = 0
  for (let k = 0; k < 100; k++, requests++) {
    const tokens = JSON.stringify(marketInfo(world, (k * 1709) % MARKETS).tokenIds)
    const text = await post(ready.goldskyUrl, {
      query: `{ orderFilledEvents(first: 1000, orderBy: timestamp, orderDirection: asc, where: {or: [{makerAssetId_in: ${tokens}}, {takerAssetId_in: ${tokens}}], timestamp_gt: "0"}) { id timestamp maker taker makerAssetId takerAssetId makerAmountFilled takerAmountFilled fee } }`
    })
    fills += (JSON.parse(text) as { data: { orderFilledEvents: Array<unknown> } }).data.orderFilledEvents.length
  }
  console.log(`  goldsky: 100 per-market queries (${fills} fills; the first builds the token index) in ${since(ts)} ms; ${await memoryOf(ready.statsUrl)}`)

  const tr = performance.now()
  let logs = 0
  let capped = 0
  for (let k = 0; k < 150; k++, requests++) {
    const from = world.firstBlock + Math.floor((((k * 7919) % 1000) / 1000) * (world.headBlock - world.firstBlock - 2000))
    const span = k % 3 === 0 ? 2000 : k % 3 === 1 ? 500 : 100
    const body = JSON.parse(await post(ready.rpcUrl, { jsonrpc: "2.0", id: k, method: "eth_getLogs", params: [{ fromBlock: hex(from), toBlock: hex(from + span - 1) }] })) as {
      result?: Array<unknown>
      error?: { code: number }
    }
    logs += body.result?.length ?? 0
    if (body.error?.code === -32005) capped++
  }
  for (let k = 0; k < 50; k++, requests++) await post(ready.rpcUrl, { jsonrpc: "2.0", id: k, method: "eth_getBlockByNumber", params: [hex(V2_GENESIS_BLOCK + k * 1000), false] })
  console.log(`  rpc: 150 eth_getLogs over 100/500/2000-block ranges (${logs} logs, ${capped} answered -32005) + 50 eth_getBlockByNumber in ${since(tr)} ms; ${await memoryOf(ready.statsUrl)}`)

  const td = performance.now()
  await getText(`${ready.dataApiUrl}/activity?user=${walletAddress(world, 0)}&limit=1`)
  const indexMs = since(td)
  requests++
  const tdd = performance.now()
  for (let k = 0; k < 50; k++, requests += 2) {
    const user = walletAddress(world, 100 + k * 37)
    await getText(`${ready.dataApiUrl}/activity?user=${user}&limit=500&start=1`)
    await getText(`${ready.dataApiUrl}/v2/trades?user=${user}&limit=500&taker_only=false`)
  }
  console.log(`  data-api: first request (builds the wallet index) ${indexMs} ms; 100 more in ${since(tdd)} ms; ${await memoryOf(ready.statsUrl)}`)
  console.log(`after ${requests} requests: ${await memoryOf(ready.statsUrl)}`)
  if (process.execArgv.includes("--expose-gc") || (process.env.NODE_OPTIONS ?? "").includes("--expose-gc")) {
    console.log(`  after a full GC (live set): ${await memoryOf(ready.statsUrl, true)}`)
  }

  // Throughput with no latency: a child process with `concurrency` keep-alive loops per endpoint.
  const tokens = JSON.stringify(marketInfo(world, 5).tokenIds)
  const targets = [
    { name: "rpc eth_blockNumber", method: "POST", url: ready.rpcUrl, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_blockNumber", params: [] }) },
    { name: "gamma /markets/keyset?limit=20", method: "GET", url: `${ready.gammaUrl}/markets/keyset?limit=20` },
    { name: "goldsky orderFilledEvents(first: 100) per market", method: "POST", url: ready.goldskyUrl, body: JSON.stringify({ query: `{ orderFilledEvents(first: 100, orderBy: timestamp, where: {makerAssetId_in: ${tokens}}) { id timestamp } }` }) },
    { name: "data /activity?limit=100", method: "GET", url: `${ready.dataApiUrl}/activity?user=${walletAddress(world, 321)}&limit=100` }
  ]
  await getText(`${ready.statsUrl}?reset=1`)
  for (const target of targets) {
    const r = await load(target, SECONDS / targets.length, CONCURRENCY)
    console.log(`load ${target.name}: ${r.ok} ok, ${r.failed} failed in ${r.seconds.toFixed(1)} s = ${Math.round(r.ok / r.seconds)} req/s (concurrency ${CONCURRENCY})`)
  }
  const stats = JSON.parse(await getText(ready.statsUrl)) as { totals: { requests: number; errors: number } }
  console.log(`the simulator counted ${stats.totals.requests} requests and ${stats.totals.errors} errors during the load; ${await memoryOf(ready.statsUrl)}`)
  child.removeAllListeners("exit")
  child.kill("SIGTERM")
}

/** A loopback load from a child process: `concurrency` keep-alive loops for `seconds` (node:http, lighter than fetch). */
const load = (target: { method: string; url: string; body?: string }, seconds: number, concurrency: number) =>
  new Promise<{ ok: number; failed: number; seconds: number }>((resolve, reject) => {
    const script = `
      const http = require("node:http");
      const t = JSON.parse(process.argv[1]);
      const agent = new http.Agent({ keepAlive: true, maxSockets: t.concurrency });
      const until = Date.now() + t.seconds * 1000;
      let ok = 0, failed = 0;
      const t0 = Date.now();
      const once = () => new Promise((done) => {
        const req = http.request(t.url, { method: t.method, agent, headers: t.body ? { "content-type": "application/json", "content-length": Buffer.byteLength(t.body) } : {} }, (res) => {
          res.on("data", () => {});
          res.on("end", () => { if (res.statusCode === 200) ok++; else failed++; done(); });
        });
        req.on("error", () => { failed++; done(); });
        if (t.body) req.write(t.body);
        req.end();
      });
      const loop = async () => { while (Date.now() < until) await once(); };
      Promise.all(Array.from({ length: t.concurrency }, loop)).then(() => {
        process.stdout.write(JSON.stringify({ ok, failed, seconds: (Date.now() - t0) / 1000 }));
        agent.destroy();
      });
    `
    const child = spawn(process.execPath, ["-e", script, JSON.stringify({ ...target, seconds, concurrency })], { stdio: ["ignore", "pipe", "inherit"] })
    let out = ""
    child.stdout.on("data", (d: Buffer) => (out += d.toString()))
    child.on("error", reject)
    child.on("exit", () => {
      try {
        resolve(JSON.parse(out) as { ok: number; failed: number; seconds: number })
      } catch (e) {
        reject(e)
      }
    })
  })

/** Entry point for bench/run.ts (`npm run bench -- simulator [flags]`); the flags are read from process.argv. */
export const main = (_argv: ReadonlyArray<string>): Promise<void> => measure()

// Run directly (vite-node drops the script from argv) unless bench/run.ts imported us.
if (process.env["POLYBACKFILL_BENCH_DISPATCH"] === undefined) {
  measure().then(
    () => process.exit(0),
    (e) => {
      console.error(e)
      process.exit(1)
    }
  )
}
