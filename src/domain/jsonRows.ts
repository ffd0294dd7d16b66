import type { Slab, SlabBytes } from "./byteSlabs.js"

/**
 * Rows as JSONEachRow text, encoded once when they enter the sink: a page's rows then live as one
 * compact piece instead of dozens of objects until their insert, which halves the engine's GC, and
 * one JSON.stringify per page costs less than one per row. The piece is UTF-8 bytes rather than a
 * string: bytes live outside the JS heap, whose size V8 multiplies (up to 4x) before it collects,
 * and they are what the insert sends anyway.
 */
export interface JsonFragment {
  /** Whole rows, comma-separated (JSONEachRow accepts commas between objects, 18.16 included). */
  readonly json: Uint8Array
  readonly rows: number
  /** Where the bytes live when they came from a `ByteSlabs` (released once inserted). */
  readonly slab?: Slab | undefined
}

const utf8 = new TextEncoder()
const text = new TextDecoder()

/** Where encoded text goes: fresh bytes by default, or a slab of the caller's `ByteSlabs`. */
export type WriteBytes = (text: string) => SlabBytes

const freshBytes: WriteBytes = (t) => ({ bytes: utf8.encode(t), slab: undefined })

export const encodeFragment = (rows: ReadonlyArray<Record<string, unknown>>, write: WriteBytes = freshBytes): JsonFragment => {
  const array = JSON.stringify(rows)
  // Without the array's brackets.
  const { bytes, slab } = write(array.slice(1, -1))
  return { json: bytes, rows: rows.length, slab }
}

export const fragmentText = (f: JsonFragment): string => text.decode(f.json)

/** At most `size` rows per fragment, so inserts can be packed up to a batch size. */
export const encodeFragments = (rows: ReadonlyArray<Record<string, unknown>>, size: number, write: WriteBytes = freshBytes): Array<JsonFragment> => {
  if (rows.length <= size) return rows.length === 0 ? [] : [encodeFragment(rows, write)]
  const out: Array<JsonFragment> = []
  for (let i = 0; i < rows.length; i += size) out.push(encodeFragment(rows.slice(i, i + size), write))
  return out
}

export const decodeFragments = (fragments: ReadonlyArray<JsonFragment>): Array<Record<string, unknown>> =>
  fragments.flatMap((f) => (f.rows === 0 ? [] : (JSON.parse(`[${fragmentText(f)}]`) as Array<Record<string, unknown>>)))

export const rowsIn = (fragments: ReadonlyArray<JsonFragment>): number => fragments.reduce((n, f) => n + f.rows, 0)

/** Fragments grouped into inserts of at most `size` rows (a fragment is never split). */
export const packFragments = (fragments: ReadonlyArray<JsonFragment>, size: number): Array<Array<JsonFragment>> => {
  const out: Array<Array<JsonFragment>> = []
  let current: Array<JsonFragment> = []
  let rows = 0
  for (const f of fragments) {
    if (rows > 0 && rows + f.rows > size) {
      out.push(current)
      current = []
      rows = 0
    }
    current.push(f)
    rows += f.rows
  }
  if (current.length > 0) out.push(current)
  return out
}
