/** Counters per endpoint ("family path", e.g. "gamma /markets/keyset", "rpc eth_getLogs"), for benchmarks. */
export interface EndpointCounts {
  requests: number
  ok: number
  rateLimited: number
  clientErrors: number
  errors: number
  hangs: number
  malformed: number
  truncated: number
}

export type Counter = keyof EndpointCounts

const zero = (): EndpointCounts => ({ requests: 0, ok: 0, rateLimited: 0, clientErrors: 0, errors: 0, hangs: 0, malformed: 0, truncated: 0 })

/** One eth_getLogs call's block range and whether the caps refused it (for tests of range adaptation). */
export interface GetLogsCall {
  readonly from: number
  readonly to: number
  readonly refused: boolean
}

const GET_LOGS_KEPT = 20_000

export class SimStats {
  private endpoints = new Map<string, EndpointCounts>()
  private getLogs: Array<GetLogsCall> = []
  noteGetLogs(call: GetLogsCall): void {
    if (this.getLogs.length >= GET_LOGS_KEPT) this.getLogs.shift()
    this.getLogs.push(call)
  }
  private since: number
  constructor(nowMs: number) {
    this.since = nowMs
  }
  bump(endpoint: string, counter: Counter, by = 1): void {
    let c = this.endpoints.get(endpoint)
    if (c === undefined) {
      c = zero()
      this.endpoints.set(endpoint, c)
    }
    c[counter] += by
  }
  snapshot(nowMs: number): {
    readonly sinceMs: number
    readonly elapsedMs: number
    readonly totals: EndpointCounts
    readonly endpoints: Record<string, EndpointCounts>
    readonly getLogs: ReadonlyArray<GetLogsCall>
  } {
    const totals = zero()
    const endpoints: Record<string, EndpointCounts> = {}
    for (const [k, c] of [...this.endpoints].sort(([a], [b]) => (a < b ? -1 : 1))) {
      endpoints[k] = { ...c }
      for (const key of Object.keys(totals) as Array<Counter>) totals[key] += c[key]
    }
    return { sinceMs: this.since, elapsedMs: nowMs - this.since, totals, endpoints, getLogs: [...this.getLogs] }
  }
  reset(nowMs: number): void {
    this.endpoints = new Map()
    this.getLogs = []
    this.since = nowMs
  }
}
