import { expect } from "@effect/vitest"
import { Chunk, Effect, Layer, Stream } from "effect"
import { layerFixed } from "../../../src/layers/GovernorFixed.js"
import { layerUndiciTransport } from "../../../src/layers/http/undiciTransport.js"
import { layerSourceClients } from "../../../src/layers/SourceClients.js"
import { Sources } from "../../../src/services/Sources.js"
import type { SimulatorHandle } from "../../../src/simulator/index.js"
import type { SourceError } from "../../../src/domain/errors.js"
import type { Page, UnitToFetch } from "../../../src/streams/Job.js"

/** The live source clients over real HTTP against a simulator. */
export const layerSimSources = (sim: () => SimulatorHandle) =>
  layerSourceClients.pipe(
    Layer.provideMerge(
      Layer.mergeAll(
        layerUndiciTransport,
        layerFixed(8),
        Layer.effect(
          Sources,
          Effect.sync(() => {
            const s = sim()
            return { gamma: s.gammaUrl, dataApi: s.dataApiUrl, goldsky: s.goldskyUrl, rpc: [s.rpcUrl] }
          })
        )
      )
    )
  )

/** Every page of one unit, fetched from `cursor` ("" = the start). */
export const fetchAll = <R>(
  job: { readonly fetch: (unit: UnitToFetch) => Stream.Stream<Page, SourceError, R> },
  unitKey: string,
  payload: string,
  cursor = ""
) =>
  job.fetch({ unitKey, payload, cursor }).pipe(Stream.runCollect, Effect.map(Chunk.toReadonlyArray))

export const rowsOf = (pages: ReadonlyArray<Page>, table: string) =>
  pages.flatMap((p) => p.rows.filter((r) => r.table === table).flatMap((r) => r.rows))

export const drop = (row: Record<string, unknown>, key: string): Record<string, unknown> => {
  const { [key]: _, ...rest } = row
  return rest
}

export const byKey = (key: string) => (a: Record<string, unknown>, b: Record<string, unknown>) =>
  String(a[key]) < String(b[key]) ? -1 : String(a[key]) > String(b[key]) ? 1 : 0

/**
 * Rows as the job gives them (or ClickHouse returns them) against the truth: every column exact but the
 * Float64 ones, within a double's rounding (the price is a ratio of two amounts; 18.16 parses decimal
 * text into the neighbouring double at times).
 */
const TRADE_FLOATS = ["price", "size", "usdc"] as const
export const expectSameTrades = (got: ReadonlyArray<Record<string, unknown>>, truth: ReadonlyArray<Record<string, unknown>>) => {
  const strip = (r: Record<string, unknown>) => TRADE_FLOATS.reduce((row, k) => drop(row, k), drop(r, "ingested_at"))
  const a = [...got].sort(byKey("external_trade_id"))
  const b = [...truth].sort(byKey("external_trade_id"))
  expect(a.map(strip)).toEqual(b.map(strip))
  a.forEach((r, i) => {
    for (const k of TRADE_FLOATS) expect(Math.abs((r[k] as number) - (b[i]![k] as number))).toBeLessThanOrEqual(Math.abs(b[i]![k] as number) * 1e-12)
  })
}
