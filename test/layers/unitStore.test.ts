import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer } from "effect"
import { newUnit } from "../../src/domain/units.js"
import type { UnitWrite } from "../../src/domain/units.js"
import { layerClickHouse as layerHeartbeats } from "../../src/layers/HeartbeatsClickHouse.js"
import { layerClickHouse } from "../../src/layers/UnitStoreClickHouse.js"
import { Heartbeats } from "../../src/services/Heartbeats.js"
import { layerFile } from "../../src/layers/UnitStoreFile.js"
import { layerMemory, MemoryUnits } from "../../src/layers/UnitStoreMemory.js"
import { MIGRATIONS } from "../../src/layers/migrations/index.js"
import { UnitStore } from "../../src/services/UnitStore.js"
import { migrate } from "../../src/streams/migrate.js"
import { layerTestClickHouse } from "../support/clickhouse.js"

const unit = (key: string, over: Partial<UnitWrite> = {}): UnitWrite => ({ ...newUnit("fills", key, `{"k":"${key}"}`), ...over })

/** The behaviour every store must share. */
const contract = (name: string, layer: () => Layer.Layer<UnitStore, unknown>) =>
  describe(`unit store: ${name}`, () => {
    it.live("the newest save of a unit wins, per job, and jobs lists jobs with units", () =>
      Effect.gen(function* () {
        const store = yield* UnitStore
        yield* store.save([unit("a"), unit("b"), { ...unit("a"), job: "markets" }])
        yield* store.save([unit("a", { status: "in_progress", run_id: "r1" })])
        yield* store.save([unit("a", { status: "done", rows: 42, cursor: "c9", attempts: 1, run_id: "r1", last_run_at: 1_780_000_000 })])
        const fills = [...(yield* store.load("fills"))].sort((x, y) => x.unit_key.localeCompare(y.unit_key))
        expect(fills.map((u) => [u.unit_key, u.status, u.rows, u.cursor])).toEqual([
          ["a", "done", 42, "c9"],
          ["b", "pending", 0, ""]
        ])
        expect(fills[0]!.last_run_at).toBe(1_780_000_000)
        expect(fills[0]!.payload).toBe('{"k":"a"}')
        expect((yield* store.load("markets")).map((u) => u.status)).toEqual(["pending"])
        expect(yield* store.jobs).toEqual(["fills", "markets"])
      }).pipe(Effect.provide(layer())))
  })

contract("memory", () => layerMemory(new MemoryUnits()))

const tmp = () => mkdtempSync(join(tmpdir(), "pb-units-"))
contract("file", () => layerFile(tmp(), "db"))

contract("clickhouse", () =>
  layerClickHouse.pipe(
    Layer.provideMerge(Layer.effectDiscard(migrate(MIGRATIONS, () => Effect.void))),
    Layer.provide(layerTestClickHouse("unitstore"))
  )
)

describe("unit store: clickhouse specifics", () => {
  it.live("heads are the newest rows' key, shard hash, status and run id", () =>
    Effect.gen(function* () {
      const store = yield* UnitStore
      yield* store.save([unit("a"), unit("b"), unit("c")])
      yield* store.save([unit("a", { status: "in_progress", run_id: "r1" }), unit("b", { status: "error", run_id: "r1", error_message: "boom" })])
      const heads = [...(yield* store.loadHeads!("fills"))].sort((x, y) => x.unit_key.localeCompare(y.unit_key))
      const full = [...(yield* store.load("fills"))].sort((x, y) => x.unit_key.localeCompare(y.unit_key))
      expect(heads).toEqual(full.map(({ unit_key, shard_hash, status, run_id }) => ({ unit_key, shard_hash, status, run_id })))
      expect(heads.map((h) => h.status)).toEqual(["in_progress", "error", "pending"])
    }).pipe(
      Effect.provide(layerClickHouse.pipe(Layer.provideMerge(Layer.effectDiscard(migrate(MIGRATIONS, () => Effect.void))), Layer.provide(layerTestClickHouse("unitstore_heads"))))
    ))

  it.live("a second process continues above the versions already written (FINAL reads the latest)", () =>
    Effect.gen(function* () {
      const clickhouse = layerTestClickHouse("unitstore_versions")
      const first = layerClickHouse.pipe(Layer.provideMerge(Layer.effectDiscard(migrate(MIGRATIONS, () => Effect.void))))
      yield* Effect.gen(function* () {
        // Writes many versions quickly: the counter may run ahead of the wall clock.
        yield* Effect.provide(
          Effect.gen(function* () {
            const store = yield* UnitStore
            for (let i = 0; i < 30; i++) yield* store.save([unit("a", { rows: i })])
          }),
          first
        )
        yield* Effect.provide(
          Effect.gen(function* () {
            const store = yield* UnitStore
            yield* store.save([unit("a", { rows: 1000, status: "done" })])
            expect((yield* store.load("fills"))[0]).toMatchObject({ rows: 1000, status: "done" })
          }),
          layerClickHouse
        )
      }).pipe(Effect.provide(clickhouse))
    }))

  it.live("without the migration: one line saying to run migrate", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(Effect.provide(UnitStore, layerClickHouse.pipe(Layer.provide(layerTestClickHouse("unitstore_nomigrate")))))
      expect(Exit.isFailure(exit)).toBe(true)
      expect(JSON.stringify(exit)).toContain("run `polybackfill migrate` first")
    }))
})

describe("unit store: file specifics", () => {
  it.live("a torn last line (crash mid-append) is cut off; later saves still land", () =>
    Effect.gen(function* () {
      const dir = tmp()
      const store1 = yield* Effect.provide(UnitStore, layerFile(dir, "db"))
      yield* store1.save([unit("a", { status: "done", rows: 5 })])
      const path = join(dir, "checkpoints", "db", "fills.jsonl")
      appendFileSync(path, '{"job":"fills","unit_key":"a","status":"pen')
      const store2 = yield* Effect.provide(UnitStore, layerFile(dir, "db"))
      expect((yield* store2.load("fills"))[0]).toMatchObject({ status: "done", rows: 5 })
      yield* store2.save([unit("b")])
      expect((yield* store2.load("fills")).map((u) => u.unit_key).sort()).toEqual(["a", "b"])
      expect(readFileSync(path, "utf8").endsWith("\n")).toBe(true)
      rmSync(dir, { recursive: true, force: true })
    }))

  it.live("a corrupt line in the middle is one line naming the file and line", () =>
    Effect.gen(function* () {
      const dir = tmp()
      const store = yield* Effect.provide(UnitStore, layerFile(dir, "db"))
      yield* store.save([unit("a")])
      const path = join(dir, "checkpoints", "db", "fills.jsonl")
      writeFileSync(path, "garbage\n" + readFileSync(path, "utf8"))
      const exit = yield* Effect.exit(store.load("fills"))
      expect(JSON.stringify(exit)).toContain(`${path} line 1 is corrupt`)
      rmSync(dir, { recursive: true, force: true })
    }))

  it.live("compaction keeps exactly the newest row of every unit", () =>
    Effect.gen(function* () {
      const dir = tmp()
      const store = yield* Effect.provide(UnitStore, layerFile(dir, "db"))
      for (let i = 0; i < 300; i++) yield* store.save([unit("a", { rows: i }), unit("b", { rows: 2 * i }), unit("c", { rows: 3 * i }), unit("d", { rows: 4 * i })])
      const path = join(dir, "checkpoints", "db", "fills.jsonl")
      expect(readFileSync(path, "utf8").trim().split("\n")).toHaveLength(1200)
      const latest = yield* store.load("fills")
      expect(readFileSync(path, "utf8").trim().split("\n")).toHaveLength(4)
      expect(latest.map((u) => u.rows).sort((x, y) => x - y)).toEqual([299, 598, 897, 1196])
      yield* store.save([unit("a", { rows: 7 })])
      expect((yield* store.load("fills")).find((u) => u.unit_key === "a")!.rows).toBe(7)
      rmSync(dir, { recursive: true, force: true })
    }))
})

describe("heartbeats: clickhouse", () => {
  it.live("the latest beat of each run wins (FINAL); live runs are those that beat since a moment", () =>
    Effect.gen(function* () {
      const hb = yield* Heartbeats
      const beat = (run: string, updated: number, rows: number) =>
        hb.beat({
          job: "fills", run_id: run, host: "h", pid: 1, shard: "0/1", state: "running", workers_limit: 32, in_flight: 3, units_in_flight: 2,
          units_done: rows / 10, units_error: 0, rows, rows_per_sec: 5.5, rate_limited_share: 0, started_at: 1_780_000_000, updated_at: updated
        })
      yield* beat("old", 1_780_000_100, 10)
      yield* beat("new", 1_780_000_100, 10)
      yield* beat("new", 1_780_000_200, 50)
      expect(yield* hb.liveRuns("fills", 1_780_000_150)).toEqual([{ run_id: "new", host: "h", pid: 1 }])
      expect((yield* hb.liveRuns("fills", 1_780_000_000)).map((r) => r.run_id).sort()).toEqual(["new", "old"])
      const latest = yield* hb.latest("fills", 5)
      expect(latest.map((r) => [r.run_id, r.rows, r.updated_at])).toEqual([["new", 50, 1_780_000_200], ["old", 10, 1_780_000_100]])
      expect(latest[0]!.rows_per_sec).toBe(5.5)
    }).pipe(
      Effect.provide(
        layerHeartbeats.pipe(
          Layer.provideMerge(Layer.effectDiscard(migrate(MIGRATIONS, () => Effect.void))),
          Layer.provide(layerTestClickHouse("heartbeats"))
        )
      )
    ))
})
