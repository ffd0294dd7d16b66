import { Clock, Effect } from "effect"
import { SourceError, UsageError } from "../../domain/errors.js"
import { POLYGON_CHAIN_ID } from "../../domain/polygon.js"
import { whereToFix } from "../../domain/sourceNames.js"
import type { Member, PoolTuning } from "./members.js"
import { reasonOf, setAside } from "./members.js"

/**
 * eth_chainId on every URL, at once: a URL on another chain fails the layer (one line naming it); one
 * that does not answer is set aside and checked again on its first probe; none answering fails too.
 */
export const startCheck = (
  members: ReadonlyArray<Member>,
  chainIdOf: (m: Member) => Effect.Effect<number, SourceError>,
  attemptOn: <A, E>(m: Member, probe: boolean, call: Effect.Effect<A, E>) => Effect.Effect<A, E>,
  wrongChain: (m: Member, id: number) => string,
  tuning: PoolTuning
) =>
  Effect.gen(function* () {
    const answers = yield* Effect.forEach(members, (m) => Effect.either(attemptOn(m, false, chainIdOf(m))), { concurrency: "unbounded" })
    const wrong = members.flatMap((m, i) => {
      const a = answers[i]!
      return a._tag === "Right" && a.right !== POLYGON_CHAIN_ID ? [wrongChain(m, a.right)] : []
    })
    if (wrong.length > 0) return yield* new UsageError({ message: wrong.join("; ") })
    const nowMs = yield* Clock.currentTimeMillis
    const unreachable: Array<string> = []
    for (let i = 0; i < members.length; i++) {
      const m = members[i]!
      const a = answers[i]!
      if (a._tag === "Right") {
        m.chain = "verified"
        continue
      }
      unreachable.push(a.left.message)
      if (m.setAsideUntilMs === 0) yield* Effect.logWarning(setAside(m, nowMs, `no answer to eth_chainId at start: ${reasonOf(m, a.left.message)}`, tuning))
    }
    if (unreachable.length === members.length) {
      return yield* new SourceError({
        reason: "Transient",
        host: members[0]!.host,
        message: `none of the ${members.length} RPC URLs answered eth_chainId: ${unreachable.join("; ")}; ${whereToFix("rpc")}`
      })
    }
  })
