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
}

const utf8 = new TextEncoder()
const text = new TextDecoder()

export const encodeFragment = (rows: ReadonlyArray<Record<string, unknown>>): JsonFragment => {
  const array = JSON.stringify(rows)
  // Without the array's brackets: a view, not a copy.
  const bytes = utf8.encode(array)
  return { json: bytes.subarray(1, bytes.length - 1), rows: rows.length }
}

export const fragmentText = (f: JsonFragment): string => text.decode(f.json)

/** At most `size` rows per fragment, so inserts can be packed up to a batch size. */
export const encodeFragments = (rows: ReadonlyArray<Record<string, unknown>>, size: number): Array<JsonFragment> => {
  if (rows.length <= size) return rows.length === 0 ? [] : [encodeFragment(rows)]
  const out: Array<JsonFragment> = []
  for (let i = 0; i < rows.length; i += size) out.push(encodeFragment(rows.slice(i, i + size)))
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
