import { Rng } from "../domain/prng.js"

/** Word lists for market questions, event titles and wallet pseudonyms. */
const SUBJECTS = [
  "Bitcoin", "Ethereum", "Solana", "the Fed", "Apple", "Tesla", "Nvidia", "the S&P 500", "Gold", "Oil",
  "OpenAI", "SpaceX", "the ECB", "Dogecoin", "XRP", "the Lakers", "Real Madrid", "the Yankees", "Arsenal", "the Celtics"
]
const PREDICATES = [
  "close above its current price", "reach a new all-time high", "announce a rate cut", "beat earnings estimates",
  "win the match", "trade above $100", "launch the product", "finish the week higher", "lose more than 5%", "be up on the day"
]
const CANDIDATES = [
  "Alice Moreau", "Bruno Keller", "Chen Wei", "Dana Ortiz", "Elif Yilmaz", "Farid Haddad", "Greta Lind", "Hiro Tanaka",
  "Ines Costa", "Jonas Berg", "Kavya Rao", "Liam O'Neil", "Mara Petrov", "Nadia Karim", "Oscar Silva", "Priya Nair"
]
const CONTESTS = [
  "the 2026 mayoral race", "the party primary", "the Best Picture award", "the Ballon d'Or", "the chess championship",
  "the song contest", "the marathon", "the tennis open", "the governor's race", "the coding olympiad"
]
const ADJECTIVES = ["Quiet", "Brisk", "Lucky", "Bold", "Gentle", "Rapid", "Sly", "Calm", "Witty", "Nimble", "Stark", "Merry"]
const NOUNS = ["Otter", "Falcon", "Badger", "Heron", "Lynx", "Marten", "Raven", "Bison", "Gecko", "Panda", "Walrus", "Koala"]

export const slugify = (s: string): string =>
  s
    .toLowerCase()
    .replace(/&/g, "and")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]

const monthDay = (ts: number): string => {
  const d = new Date(ts * 1000)
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}`
}

export const binaryQuestion = (rng: Rng, endTs: number): string =>
  `Will ${rng.pick(SUBJECTS)} ${rng.pick(PREDICATES)} by ${monthDay(endTs)}?`

export const contestTitle = (rng: Rng): string => `Who will win ${rng.pick(CONTESTS)}?`

export const negRiskQuestion = (rng: Rng, contest: string): string =>
  `Will ${rng.pick(CANDIDATES)} win ${contest.replace(/^Who will win /, "").replace(/\?$/, "")}?`

export const pseudonym = (rng: Rng): string => `${rng.pick(ADJECTIVES)}-${rng.pick(NOUNS)}`
