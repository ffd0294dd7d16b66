/**
 * Simulator benchmark: start time and resident memory of a 171,000-market / 10M-fill world (after
 * serving a few hundred requests across every API, eth_getLogs ranges included), then the requests per
 * second it sustains with no latency under a loopback load from a child process (bounded in time).
 *
 *   node_modules/.bin/vite-node bench/simulator.ts [--markets 171000] [--fills 10000000] [--seconds 10]
 */
import { spawn } from "node:child_process"
import { V2_GENESIS_BLOCK } from "../src/domain/polygon.js"
import { marketInfo, walletAddress } from "../src/simulator/market.js"
import { startSimulator } from "../src/simulator/server.js"
import { walletIndex } from "../src/simulator/walletIndex.js"

const arg = (name: string, dflt: number): number => {
  const k = process.argv.indexOf(`--${name}`)
  return k >= 0 ? Number(process.argv[k + 1]) : dflt
}
const MARKETS = arg("markets", 171_000)
const FILLS = arg("fills", 10_000_000)
const WALLETS = arg("wallets", 50_000)
const SECONDS = arg("seconds", 10)
const CONCURRENCY = arg("concurrency", 32)

const mb = (bytes: number) => `${Math.round(bytes / 1e6)} MB`
const rss = () => process.memoryUsage().rss
const mem = () => {
  const m = process.memoryUsage()
  return `RSS ${mb(m.rss)} (heap used ${mb(m.heapUsed)} of ${mb(m.heapTotal)}, array buffers ${mb(m.arrayBuffers)})`
}
const ms = (t0: number) => `${Math.round(performance.now() - t0)} ms`
const hex = (n: number) => "0x" + n.toString(16)

const post = async (url: string, body: unknown) => {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
  return { status: res.status, text: await res.text() }
}

const main = async () => {
  const rssBefore = rss()
  const t0 = performance.now()
  const sim = await startSimulator({
    world: { seed: 42, markets: MARKETS, wallets: WALLETS, from: "2026-03-01", to: "2026-06-01", fills: FILLS }
  })
  const startMs = performance.now() - t0
  const world = sim.world
  console.log(`world: ${world.marketCount} markets, ${world.walletCount} wallets, ${world.matchCount} matches, blocks ${world.firstBlock}..${world.headBlock}`)
  console.log(`start: ${Math.round(startMs)} ms to a listening server (index built in ${Math.round(world.buildMs)} ms); RSS ${mb(rss())} (process baseline ${mb(rssBefore)})`)

  // A few hundred requests across every API.
  let requests = 0
  let fills = 0
  const tg = performance.now()
  let cursor: string | undefined
  for (let p = 0; p < 20; p++) {
    const res = await fetch(`${sim.gammaUrl}/markets/keyset?limit=500${cursor !== undefined ? `&after_cursor=${cursor}` : ""}`)
    const body = (await res.json()) as { next_cursor?: string }
    cursor = body.next_cursor
    requests++
  }
  for (let p = 0; p < 5; p++, requests++) await (await fetch(`${sim.gammaUrl}/markets?limit=500&offset=${p * 400}&closed=true`)).text()
  console.log(`  gamma: 25 pages of up to 500 markets in ${ms(tg)}; ${mem()}`)

  const tgs = performance.now()
  for (let k = 0; k < 100; k++, requests++) {
    const i = Math.floor((k * 1709) % world.marketCount)
    const tokens = JSON.stringify(marketInfo(world, i).tokenIds)
    const r = await post(sim.goldskyUrl, {
      query: `{ orderFilledEvents(first: 1000, orderBy: timestamp, orderDirection: asc, where: {or: [{makerAssetId_in: ${tokens}}, {takerAssetId_in: ${tokens}}], timestamp_gt: "0"}) { id timestamp maker taker makerAssetId takerAssetId makerAmountFilled takerAmountFilled fee } }`
    })
    fills += (JSON.parse(r.text) as { data: { orderFilledEvents: Array<unknown> } }).data.orderFilledEvents.length
  }
  console.log(`  goldsky: 100 per-market queries (${fills} fills) in ${ms(tgs)} (first one builds the token index); ${mem()}`)

  const tr = performance.now()
  let logs = 0
  for (let k = 0; k < 100; k++, requests++) {
    const from = world.firstBlock + Math.floor(((k * 7919) % 1000) / 1000 * (world.headBlock - world.firstBlock - 2000))
    const r = await post(sim.rpcUrl, { jsonrpc: "2.0", id: k, method: "eth_getLogs", params: [{ fromBlock: hex(from), toBlock: hex(from + (k % 2 === 0 ? 499 : 1999)) }] })
    const body = JSON.parse(r.text) as { result?: Array<unknown> }
    logs += body.result?.length ?? 0
  }
  for (let k = 0; k < 50; k++, requests++) {
    await post(sim.rpcUrl, { jsonrpc: "2.0", id: k, method: "eth_getBlockByNumber", params: [hex(V2_GENESIS_BLOCK + k * 1000), false] })
  }
  console.log(`  rpc: 100 eth_getLogs over 500/2000-block ranges (${logs} logs) + 50 eth_getBlockByNumber in ${ms(tr)}; ${mem()}`)

  const td = performance.now()
  walletIndex(world)
  const indexMs = performance.now() - td
  const tdd = performance.now()
  for (let k = 0; k < 50; k++, requests++) {
    const user = walletAddress(world, 100 + k * 37)
    await (await fetch(`${sim.dataApiUrl}/activity?user=${user}&limit=500&start=1`)).text()
    await (await fetch(`${sim.dataApiUrl}/v2/trades?user=${user}&limit=500&taker_only=false`)).text()
    requests++
  }
  console.log(`  data-api: wallet index built lazily in ${Math.round(indexMs)} ms; 100 requests in ${ms(tdd)}; ${mem()}`)
  const usage = process.resourceUsage()
  console.log(`after ${requests} requests: RSS ${mb(rss())}, peak RSS ${mb(usage.maxRSS * 1024)}`)

  // Throughput: a child process hammers cheap endpoints over keep-alive connections.
  await fetch(`${sim.statsUrl}?reset=1`)
  const tokens = JSON.stringify(marketInfo(world, 5).tokenIds)
  const targets = [
    { name: "rpc eth_blockNumber", method: "POST", url: sim.rpcUrl, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_blockNumber", params: [] }) },
    { name: "gamma keyset limit=20", method: "GET", url: `${sim.gammaUrl}/markets/keyset?limit=20` },
    { name: "goldsky per market", method: "POST", url: sim.goldskyUrl, body: JSON.stringify({ query: `{ orderFilledEvents(first: 100, orderBy: timestamp, where: {makerAssetId_in: ${tokens}}) { id timestamp } }` }) },
    { name: "data /activity", method: "GET", url: `${sim.dataApiUrl}/activity?user=${walletAddress(world, 321)}&limit=100` }
  ]
  for (const target of targets) {
    const result = await load(target, SECONDS / targets.length, CONCURRENCY)
    console.log(`load ${target.name}: ${result.ok} ok, ${result.failed} failed in ${result.seconds.toFixed(1)} s = ${Math.round(result.ok / result.seconds)} req/s (concurrency ${CONCURRENCY})`)
  }
  const stats = (await (await fetch(sim.statsUrl)).json()) as { totals: { requests: number; errors: number } }
  console.log(`server counted ${stats.totals.requests} requests, ${stats.totals.errors} errors during the load`)
  await sim.close()
}

/** Runs a loopback load from a child node process: `concurrency` loops for `seconds`. */
const load = (target: { method: string; url: string; body?: string }, seconds: number, concurrency: number) =>
  new Promise<{ ok: number; failed: number; seconds: number }>((resolve, reject) => {
    const script = `
      const t = JSON.parse(process.argv[1]);
      const until = Date.now() + t.seconds * 1000;
      let ok = 0, failed = 0;
      const t0 = Date.now();
      const loop = async () => {
        while (Date.now() < until) {
          try {
            const r = await fetch(t.url, { method: t.method, body: t.body, headers: { "content-type": "application/json" } });
            await r.arrayBuffer();
            if (r.status === 200) ok++; else failed++;
          } catch { failed++ }
        }
      };
      Promise.all(Array.from({ length: t.concurrency }, loop)).then(() => {
        process.stdout.write(JSON.stringify({ ok, failed, seconds: (Date.now() - t0) / 1000 }));
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

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
