import { describe, expect, it } from "vitest";
import { reviewLink } from "../../shared/index.js";

describe("reviewLink", () => {
  it("carries the token in the fragment, never in the query the server sees", () => {
    const link = reviewLink({ serverUrl: "http://h:1/", token: "a b", planId: "p1" });
    expect(link).toBe("http://h:1/#/plans/p1?token=a%20b");
    const url = new URL(link);
    expect(url.search).toBe("");
    expect(url.searchParams.has("token")).toBe(false);
  });
  it("opens the list with a token and no plan, and a bare dashboard with neither", () => {
    expect(reviewLink({ serverUrl: "http://h:1", token: "t&k=v" })).toBe("http://h:1/#/?token=t%26k%3Dv");
    expect(reviewLink({ serverUrl: "http://h:1", planId: "p-2" })).toBe("http://h:1/#/plans/p-2");
    expect(reviewLink({ serverUrl: "http://h:1//" })).toBe("http://h:1/");
  });
});
