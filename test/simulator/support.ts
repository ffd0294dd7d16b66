import { afterAll, beforeAll } from "vitest"
import type { SimulatorHandle, SimulatorOptions } from "../../src/simulator/server.js"
import { startSimulator } from "../../src/simulator/server.js"

/** Starts one simulator for a test file (real HTTP on 127.0.0.1) and stops it afterwards. */
export const useSimulator = (options: SimulatorOptions): { readonly sim: SimulatorHandle } => {
  const holder: { sim: SimulatorHandle; close?: () => Promise<void> } = {} as never
  beforeAll(async () => {
    const s = await startSimulator(options)
    holder.sim = s
    holder.close = s.close
  })
  afterAll(async () => {
    await holder.close?.()
  })
  return holder
}

export const getJson = async (url: string): Promise<{ status: number; body: any; headers: Headers }> => {
  const res = await fetch(url)
  const text = await res.text()
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body, headers: res.headers }
}

export const postJson = async (url: string, payload: unknown): Promise<{ status: number; body: any; headers: Headers }> => {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(payload) })
  const text = await res.text()
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body, headers: res.headers }
}

/** A small world spanning the V1/V2 switch (2026-04-28). */
export const SMALL_WORLD = { seed: 7, markets: 120, wallets: 40, from: "2026-04-10", to: "2026-05-10", fills: 4000 } as const
