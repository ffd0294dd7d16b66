import { Console, Effect, Layer } from "effect"
import { decodeFragments, rowsIn } from "../domain/jsonRows.js"
import { RowSink } from "../services/RowSink.js"
import { UnitStore } from "../services/UnitStore.js"

/**
 * `run --dry-run`: nothing is written. Each insert the run would make is printed as one line, with
 * the first row of every table shown in full so the decoding can be checked by eye.
 */
export const layerDryRunSink = (say: (line: string) => Effect.Effect<void> = Console.log): Layer.Layer<RowSink> =>
  Layer.sync(RowSink, () => {
    const shown = new Set<string>()
    return {
      insert: (table, fragments) =>
        Effect.gen(function* () {
          const count = rowsIn(fragments)
          if (count === 0) return
          yield* say(`dry run: would insert ${count} rows into ${table}`)
          if (!shown.has(table)) {
            shown.add(table)
            const first = fragments.find((f) => f.rows > 0)!
            yield* say(`dry run: first ${table} row: ${JSON.stringify(decodeFragments([first])[0])}`)
          }
        })
    }
  })

/** Reads units from the real store; writes (claims, checkpoints) go nowhere, so no claim is re-checked. */
export const layerReadOnlyUnits: Layer.Layer<UnitStore, never, UnitStore> = Layer.effect(
  UnitStore,
  Effect.map(UnitStore, ({ loadKeys: _unused, ...store }) => ({ ...store, location: `${store.location} (dry run: read only)`, save: () => Effect.void }))
)
