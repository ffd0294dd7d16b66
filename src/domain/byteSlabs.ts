/**
 * Reusable byte slabs for text that waits a second or two and is then sent: the sink's JSONEachRow
 * fragments. Fresh bytes per fragment would outlive V8's young generation and be freed only by the
 * next full collection, so RSS would carry tens of MB of sent fragments; a slab is written again as
 * soon as every fragment in it was inserted.
 */
export interface Slab {
  readonly bytes: Uint8Array
  used: number
  /** Fragments written here and not yet released. */
  refs: number
}

export interface SlabBytes {
  readonly bytes: Uint8Array
  /** Undefined for a piece too large for a slab (plain bytes, left to the GC). */
  readonly slab: Slab | undefined
}

const utf8 = new TextEncoder()

export class ByteSlabs {
  private current: Slab | undefined
  private readonly free: Array<Slab> = []

  constructor(
    readonly slabBytes = 1 << 20,
    /** Free slabs kept for reuse; more are left to the GC, so memory shrinks after a burst. */
    readonly keepFree = 16
  ) {}

  /** `text` as UTF-8 in a slab: a view that stays valid until `release` of its slab. */
  write(text: string): SlabBytes {
    // UTF-8 takes at least one byte per UTF-16 unit: a longer text cannot fit.
    if (text.length > this.slabBytes) return { bytes: utf8.encode(text), slab: undefined }
    for (let tries = 0; tries < 2; tries++) {
      const slab = this.current !== undefined && tries === 0 ? this.current : this.fresh()
      const room = slab.bytes.subarray(slab.used)
      const { read, written } = utf8.encodeInto(text, room)
      if (read === text.length) {
        const bytes = room.subarray(0, written)
        slab.used += written
        slab.refs++
        return { bytes, slab }
      }
    }
    // Multi-byte text too long for an empty slab.
    return { bytes: utf8.encode(text), slab: undefined }
  }

  /** One fragment of `slab` is no longer needed (sent and acknowledged). */
  release(slab: Slab | undefined): void {
    if (slab === undefined) return
    slab.refs--
    if (slab.refs === 0 && slab !== this.current) this.recycle(slab)
  }

  /** Empty slabs waiting to be written again. */
  get freeSlabs(): number {
    return this.free.length
  }

  private fresh(): Slab {
    const previous = this.current
    const slab = this.free.pop() ?? { bytes: new Uint8Array(this.slabBytes), used: 0, refs: 0 }
    this.current = slab
    // The slab being left behind may already be fully released.
    if (previous !== undefined && previous.refs === 0) this.recycle(previous)
    return slab
  }

  private recycle(slab: Slab): void {
    slab.used = 0
    if (this.free.length < this.keepFree) this.free.push(slab)
  }
}
