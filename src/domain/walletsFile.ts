/** A wallets file: one address per line, `#` starts a comment, blank lines ignored. */
export interface WalletsFile {
  /** Valid addresses, lowercase, in file order, each once. */
  readonly wallets: ReadonlyArray<string>
  /** Lines that are not an address: 1-based line number and why. */
  readonly invalid: ReadonlyArray<{ readonly line: number; readonly text: string; readonly reason: string }>
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/

const reasonOf = (text: string): string => {
  if (!text.startsWith("0x")) return "an address starts with 0x"
  const hex = text.slice(2)
  if (!/^[0-9a-fA-F]*$/.test(hex)) return "an address holds only hex digits 0-9 a-f after 0x"
  return `an address has 40 hex digits after 0x, this one ${hex.length}`
}

export const parseWalletsFile = (text: string): WalletsFile => {
  const wallets: Array<string> = []
  const seen = new Set<string>()
  const invalid: Array<{ line: number; text: string; reason: string }> = []
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*/, "").trim()
    if (line === "") return
    if (!ADDRESS.test(line)) {
      invalid.push({ line: i + 1, text: line.slice(0, 80), reason: reasonOf(line) })
      return
    }
    const address = line.toLowerCase()
    if (seen.has(address)) return
    seen.add(address)
    wallets.push(address)
  })
  return { wallets, invalid }
}
