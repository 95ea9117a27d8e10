import { describe, expect, it } from "vitest";
import { extractToken, takeToken, TOKEN_KEY, type TokenHost } from "../../client/web/sign-in.js";

function host(href: string, stored?: string): TokenHost & { replaced: string[]; store: Map<string, string> } {
  const store = new Map<string, string>(stored ? [[TOKEN_KEY, stored]] : []);
  const replaced: string[] = [];
  return {
    location: { href },
    history: { replaceState: (_d, _u, url) => void replaced.push(url) },
    sessionStorage: { getItem: (k) => store.get(k) ?? null, setItem: (k, v) => void store.set(k, v) },
    replaced,
    store,
  };
}

describe("extractToken", () => {
  it("takes the token out of the fragment, where review links carry it, and keeps the route", () => {
    expect(extractToken("http://h:1/#/plans/p1?token=abc")).toEqual({ token: "abc", cleanUrl: "/#/plans/p1" });
    expect(extractToken("http://h:1/#/?token=a%20b&x=1")).toEqual({ token: "a b", cleanUrl: "/#/?x=1" });
    expect(extractToken("http://h:1/?token=old#/plans/p1?token=new")).toEqual({ token: "new", cleanUrl: "/#/plans/p1" });
    expect(extractToken("http://h:1/#/plans/p1?token=")).toEqual({ token: undefined, cleanUrl: "/#/plans/p1" });
  });
  it("takes the token out of the old form's query and keeps the rest, hash included", () => {
    expect(extractToken("http://h:1/?token=abc&x=1#/plans/p1")).toEqual({ token: "abc", cleanUrl: "/?x=1#/plans/p1" });
    expect(extractToken("http://h:1/#/")).toEqual({ token: undefined, cleanUrl: "/#/" });
  });
});

describe("takeToken", () => {
  it("stores a token from the link once and removes it from the address bar", () => {
    const h = host("http://h:1/?token=s3cret#/plans/p1");
    expect(takeToken(h)).toBe("s3cret");
    expect(h.store.get(TOKEN_KEY)).toBe("s3cret");
    expect(h.replaced).toEqual(["/#/plans/p1"]);
  });
  it("takes a fragment token and leaves no token in the address bar", () => {
    const h = host("http://h:1/#/plans/p1?token=s3cret");
    expect(takeToken(h)).toBe("s3cret");
    expect(h.replaced).toEqual(["/#/plans/p1"]);
  });
  it("falls back to the stored token without touching the address bar", () => {
    const h = host("http://h:1/#/", "kept");
    expect(takeToken(h)).toBe("kept");
    expect(h.replaced).toEqual([]);
  });
  it("answers undefined when there is no token at all", () => {
    expect(takeToken(host("http://h:1/"))).toBeUndefined();
  });
});
