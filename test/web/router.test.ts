import { describe, expect, it } from "vitest";
import { parseRoute, routeHash } from "../../client/web/router.js";

describe("parseRoute", () => {
  it("reads plan rooms and falls back to the list", () => {
    expect(parseRoute("#/plans/abc_1")).toEqual({ name: "plan", planId: "abc_1" });
    expect(parseRoute("#/plans/abc/")).toEqual({ name: "plan", planId: "abc" });
    expect(parseRoute("#/")).toEqual({ name: "plans" });
    expect(parseRoute("")).toEqual({ name: "plans" });
    expect(parseRoute("#/plans/%E0%A4%A")).toEqual({ name: "plans" });
  });
  it("round-trips with routeHash", () => {
    expect(parseRoute(routeHash({ name: "plan", planId: "p-9" }))).toEqual({ name: "plan", planId: "p-9" });
    expect(routeHash({ name: "plans" })).toBe("#/");
  });
});

describe("parseRoute with parameters", () => {
  it("ignores what follows a ? in the fragment", () => {
    expect(parseRoute("#/plans/p1?token=abc")).toEqual({ name: "plan", planId: "p1" });
    expect(parseRoute("#/?token=abc")).toEqual({ name: "plans" });
  });
});
