/**
 * Seeded, dependency-free randomness for deterministic worlds: stateless integer hashing (so any item
 * can be derived on demand from its coordinates, in any order) and a small stream generator (sfc32)
 * for items that need many draws. Identical on every platform: only 32-bit integer arithmetic.
 */

/** A bijection on 32-bit integers (lowbias32): distinct inputs give distinct outputs. */
export const perm32 = (x: number): number => {
  x = (x ^ (x >>> 16)) >>> 0
  x = Math.imul(x, 0x7feb352d) >>> 0
  x = (x ^ (x >>> 15)) >>> 0
  x = Math.imul(x, 0x846ca68b) >>> 0
  return (x ^ (x >>> 16)) >>> 0
}

/** Hashes a tuple of 32-bit integers to one uniform 32-bit integer. */
export const hash32 = (a: number, b = 0, c = 0, d = 0, e = 0): number => {
  let h = perm32((a ^ 0x9e3779b9) >>> 0)
  h = perm32((h ^ Math.imul(b, 0x85ebca6b) ^ 0x27d4eb2f) >>> 0)
  h = perm32((h ^ Math.imul(c, 0xc2b2ae35) ^ 0x165667b1) >>> 0)
  h = perm32((h ^ Math.imul(d, 0x27d4eb2f) ^ 0x9e3779b1) >>> 0)
  return perm32((h ^ Math.imul(e, 0x165667b1) ^ 0x85ebca77) >>> 0)
}

/** A uniform float in [0, 1) from a tuple. */
export const unit = (a: number, b = 0, c = 0, d = 0, e = 0): number => hash32(a, b, c, d, e) / 4294967296

/** A 32-bit number from a string (FNV-1a), to mix names into hash coordinates. */
export const hashString = (s: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** A stream of uniform numbers (sfc32) seeded from a tuple. */
export class Rng {
  private a: number
  private b: number
  private c: number
  private d: number
  constructor(a: number, b = 0, c = 0, d = 0) {
    this.a = hash32(a, b, c, d, 1)
    this.b = hash32(a, b, c, d, 2)
    this.c = hash32(a, b, c, d, 3)
    this.d = hash32(a, b, c, d, 4) | 1
    for (let i = 0; i < 8; i++) this.u32()
  }
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0
    this.d = (this.d + 1) | 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) | 0
    this.c = (this.c << 21) | (this.c >>> 11)
    this.c = (this.c + t) | 0
    return t >>> 0
  }
  /** Uniform in [0, 1). */
  next(): number {
    return this.u32() / 4294967296
  }
  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1))
  }
  pick<A>(items: ReadonlyArray<A>): A {
    return items[Math.floor(this.next() * items.length)]!
  }
}

const BYTE_HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"))
const hex8 = (n: number): string => BYTE_HEX[n >>> 24]! + BYTE_HEX[(n >>> 16) & 255]! + BYTE_HEX[(n >>> 8) & 255]! + BYTE_HEX[n & 255]!

/**
 * 32 bytes of hex (0x + 64 digits) from a tuple. The last two words are bijections of `i` and `j`, so
 * values with different (i, j) under the same `kind` never collide.
 */
export const hex32 = (seed: number, kind: number, i: number, j = 0): string => {
  let s = "0x"
  for (let w = 0; w < 6; w++) s += hex8(hash32(seed, kind, i, j, w + 10))
  return s + hex8(perm32((i ^ hash32(seed, kind, 7)) >>> 0)) + hex8(perm32((j ^ hash32(seed, kind, 8)) >>> 0))
}

/** 20 bytes of hex (0x + 40 digits), unique per `i` under the same (seed, kind). */
export const hex20 = (seed: number, kind: number, i: number): string => {
  let s = "0x"
  for (let w = 0; w < 4; w++) s += hex8(hash32(seed, kind, i, 0, w + 20))
  return s + hex8(perm32((i ^ hash32(seed, kind, 9)) >>> 0))
}

/** A uniform float in [0, 1) for `slot` under a precomputed tuple hash `h` (cheaper than unit()). */
export const subUnit = (h: number, slot: number): number => perm32((h + Math.imul(slot + 1, 0x9e3779b9)) >>> 0) / 4294967296
