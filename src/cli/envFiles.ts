import { existsSync } from "node:fs"
import { join } from "node:path"

/**
 * `.env.local` then `.env`, when present. Variables already in the environment win, and `.env.local`
 * wins over `.env` (process.loadEnvFile never overrides a variable that is already set).
 */
export const loadEnvFiles = (dir: string): ReadonlyArray<string> => {
  const loaded: Array<string> = []
  for (const name of [".env.local", ".env"]) {
    const path = join(dir, name)
    if (existsSync(path)) {
      process.loadEnvFile(path)
      loaded.push(path)
    }
  }
  return loaded
}
