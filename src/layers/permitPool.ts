import { Effect } from "effect"

interface Waiter {
  granted: boolean
  resume: () => void
}

/**
 * A FIFO permit pool whose size changes at run time. Effect's Semaphore (with `resize`) wakes every
 * waiter on each release to let them race for the permit; with hundreds of units queued behind a
 * small limit that costs O(waiters) per request. Here a release hands its permit to exactly one waiter.
 */
export class PermitPool {
  private taken = 0
  private readonly waiters = new Set<Waiter>()

  constructor(private permits: number) {}

  get inUse(): number {
    return this.taken
  }

  get size(): number {
    return this.permits
  }

  /** Grows at once; shrinks as permits come back (requests already running are not cut short). */
  resize(permits: number): void {
    this.permits = permits
    this.pump()
  }

  private release(): void {
    this.taken -= 1
    this.pump()
  }

  private pump(): void {
    while (this.taken < this.permits && this.waiters.size > 0) {
      const next = this.waiters.values().next().value as Waiter
      this.waiters.delete(next)
      this.taken += 1
      next.granted = true
      next.resume()
    }
  }

  private readonly acquire: Effect.Effect<void> = Effect.suspend(() => {
    const waiter: Waiter = { granted: false, resume: () => {} }
    const take = Effect.suspend(() => {
      if (this.taken < this.permits && this.waiters.size === 0) {
        this.taken += 1
        waiter.granted = true
        return Effect.void
      }
      return Effect.async<void>((resume) => {
        waiter.resume = () => resume(Effect.void)
        this.waiters.add(waiter)
      })
    })
    // Interrupted while queued, or after the grant but before the caller saw it: nothing leaks.
    return Effect.onInterrupt(take, () =>
      Effect.sync(() => {
        if (waiter.granted) this.release()
        else this.waiters.delete(waiter)
      })
    )
  })

  /**
   * `queue` wraps the wait for the permit (the governor reports it as a wait by design); a permit free
   * at once is taken without it, since most requests of a well-sized pool never queue.
   */
  withPermit<A, E, R>(self: Effect.Effect<A, E, R>, queue: (wait: Effect.Effect<void>) => Effect.Effect<void> = (w) => w): Effect.Effect<A, E, R> {
    return Effect.uninterruptibleMask((restore) =>
      Effect.suspend(() => {
        const run = Effect.ensuring(restore(self), Effect.sync(() => this.release()))
        if (this.taken < this.permits && this.waiters.size === 0) {
          this.taken += 1
          return run
        }
        return Effect.zipRight(restore(queue(this.acquire)), run)
      })
    )
  }
}
