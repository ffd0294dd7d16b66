import { describe, expect, it } from "@effect/vitest"
import { ByteSlabs } from "../../src/domain/byteSlabs.js"

const text = new TextDecoder()

describe("ByteSlabs", () => {
  it("keeps every piece intact until released, multi-byte text included, and fills a slab before taking another", () => {
    const slabs = new ByteSlabs(64)
    const pieces = ["{\"a\":1}", "é✓ and more", "x".repeat(50), "tail"].map((t) => ({ t, ...slabs.write(t) }))
    for (const p of pieces) expect(text.decode(p.bytes)).toBe(p.t)
    expect(pieces[0]!.slab).toBe(pieces[1]!.slab)
    expect(pieces[2]!.slab).not.toBe(pieces[0]!.slab)
  })

  it("writes a slab again only once all its pieces were released", () => {
    const slabs = new ByteSlabs(16)
    const a = slabs.write("aaaaaaaa")
    const b = slabs.write("bbbbbbbb")
    const c = slabs.write("cccccccc")
    expect(c.slab).not.toBe(a.slab)
    slabs.release(a.slab)
    // Half released: the next slab must be a new one, b is still waiting to be sent.
    expect(slabs.freeSlabs).toBe(0)
    slabs.release(b.slab)
    expect(slabs.freeSlabs).toBe(1)
    const d = slabs.write("dddddddd")
    const e = slabs.write("eeeeeeee")
    expect(e.slab).toBe(a.slab)
    expect(text.decode(c.bytes)).toBe("cccccccc")
    expect(text.decode(d.bytes)).toBe("dddddddd")
    expect(text.decode(e.bytes)).toBe("eeeeeeee")
  })

  it("gives plain bytes for a piece larger than a slab, and keeps at most keepFree empty slabs", () => {
    const slabs = new ByteSlabs(8, 1)
    const big = slabs.write("0123456789")
    expect(big.slab).toBeUndefined()
    expect(text.decode(big.bytes)).toBe("0123456789")
    const wide = slabs.write("✓✓✓✓")
    expect(wide.slab).toBeUndefined()
    expect(text.decode(wide.bytes)).toBe("✓✓✓✓")
    const pieces = ["aaaaaaaa", "bbbbbbbb", "cccccccc", "dddddddd"].map((t) => slabs.write(t))
    for (const p of pieces) slabs.release(p.slab)
    expect(slabs.freeSlabs).toBe(1)
  })
})
