/** A resolved Gamma market object as the API sends it (polymarket-sources.md §2). */
export const TOKEN_A = "4841891773" + "1".repeat(67) // 77 digits
export const TOKEN_B = "149432021" + "2".repeat(67) // 76 digits
export const market = {
  id: "2229686",
  question: "Up or down?",
  conditionId: "0x" + "A".repeat(64),
  questionID: "0x" + "d".repeat(64),
  slug: "btc-updown",
  clobTokenIds: JSON.stringify([TOKEN_A, TOKEN_B]),
  outcomes: '["Up", "Down"]',
  outcomePrices: '["1", "0"]',
  volume: "236.04008700000003",
  closed: true,
  umaResolutionStatus: "resolved",
  closedTime: "2026-07-07 21:25:17+00",
  endDate: "2026-07-07T21:00:00Z",
  events: [{ slug: "btc-updown-5m" }]
}

