import { describe, expect, it } from "@effect/vitest"
import { redactUrl, scrubSecrets } from "../../src/domain/redact.js"

describe("redactUrl", () => {
  it("hides a password in the user info", () => {
    expect(redactUrl("http://user:hunter2@ch:8123/")).toBe("http://user:***@ch:8123/")
  })
  it("hides RPC provider keys in the path and the query", () => {
    const out = redactUrl("https://polygon-mainnet.g.alchemy.com/v2/AbCdEfGhIjKlMnOpQrStUvWx?apikey=zzz123")
    expect(out).not.toContain("AbCdEfGhIjKlMnOpQrStUvWx")
    expect(out).not.toContain("zzz123")
    expect(out).toContain("/v2/***")
  })
  it("keeps ordinary URLs readable", () => {
    expect(redactUrl("http://127.0.0.1:8123/")).toBe("http://127.0.0.1:8123/")
  })
  it("never echoes an unparseable URL", () => {
    expect(redactUrl("not a url with secret")).toBe("<invalid url>")
  })
})

describe("scrubSecrets", () => {
  it("replaces every occurrence of a secret", () => {
    expect(scrubSecrets("pw=abc and abc", ["abc"])).toBe("pw=*** and ***")
  })
})
