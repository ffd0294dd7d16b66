/** JSON-RPC 2.0 bodies and answers for the Polygon calls the pool makes (pure: no I/O). */

export interface JsonRpcCall {
  readonly jsonrpc: "2.0"
  readonly id: number
  readonly method: string
  readonly params: ReadonlyArray<unknown>
}

export const rpcCall = (method: string, params: ReadonlyArray<unknown> = [], id = 1): JsonRpcCall => ({ jsonrpc: "2.0", id, method, params })

export const toHex = (n: number): string => "0x" + n.toString(16)

/** A QUANTITY ("0x1a"), or undefined when the value is not one. */
export const quantityOf = (value: unknown): number | undefined => {
  if (typeof value !== "string" || !/^0x[0-9a-fA-F]{1,16}$/.test(value)) return undefined
  const n = Number.parseInt(value, 16)
  return Number.isSafeInteger(n) ? n : undefined
}

export interface LogFilterParams {
  readonly fromBlock: number
  readonly toBlock: number
  readonly addresses: ReadonlyArray<string>
  readonly topics: ReadonlyArray<ReadonlyArray<string> | null>
}

/** eth_getLogs's filter object: addresses and each topic position as OR-lists; no address means every contract. */
export const getLogsParams = (f: LogFilterParams): ReadonlyArray<unknown> => [
  {
    fromBlock: toHex(f.fromBlock),
    toBlock: toHex(f.toBlock),
    ...(f.addresses.length > 0 ? { address: f.addresses } : {}),
    ...(f.topics.length > 0 ? { topics: f.topics.map((t) => (t === null ? null : [...t])) } : {})
  }
]

/** The `result` member of a single answer (`undefined` when absent). */
export const resultOf = (answer: unknown): unknown =>
  answer !== null && typeof answer === "object" && !Array.isArray(answer) ? (answer as { result?: unknown }).result : undefined

/** A batch's answers by id (servers may answer a batch in any order). */
export const batchResults = (answer: unknown): ReadonlyMap<number, unknown> | undefined => {
  if (!Array.isArray(answer)) return undefined
  const out = new Map<number, unknown>()
  for (const item of answer) {
    if (item !== null && typeof item === "object" && typeof (item as { id?: unknown }).id === "number") {
      out.set((item as { id: number }).id, (item as { result?: unknown }).result)
    }
  }
  return out
}

/** A block object's timestamp (epoch seconds), or undefined when the block is null or has none. */
export const blockTimestampOf = (block: unknown): number | undefined =>
  block !== null && typeof block === "object" ? quantityOf((block as { timestamp?: unknown }).timestamp) : undefined
