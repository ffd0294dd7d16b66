import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..")

/** Where the global setup builds the CLI once for the suite (test/globalSetup.ts). */
export const BUILT_CLI = join(ROOT, ".test-dist", "main.js")

/** Set by the global setup once the build is there; read by every process the suite starts. */
export const BUILT_CLI_ENV = "POLYBACKFILL_TEST_CLI"

/**
 * The argv (after node itself) that starts `polybackfill <args>`: the suite's build when there is one
 * (a spawned CLI starts in about half the time: no TypeScript to transform), else from source with
 * vite-node, as `npm run drill` does. `--root` resolves packages from the repository whatever the cwd.
 */
export const cliArgv = (args: ReadonlyArray<string>): Array<string> => {
  const built = process.env[BUILT_CLI_ENV]
  return built !== undefined && built !== ""
    ? [built, ...args]
    : [join(ROOT, "node_modules", "vite-node", "vite-node.mjs"), "--root", ROOT, join(ROOT, "src", "main.ts"), "--", ...args]
}
