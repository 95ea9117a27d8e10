import { describe, expect, it } from "vitest";
import { ERROR_CODES } from "../../../../shared/index.js";
import { HTTP_STATUS } from "../../../../server/transport/http/http-status.js";
import { chainPlan, useTestServer } from "../../../support/planroom-test-kit.js";
import { tokenOf } from "../../../support/test-principals.js";

const scope = useTestServer();

/** GETs `path` as `who`; returns the status and the JSON body. */
async function get(url: string, path: string, who = "rev-1"): Promise<{ status: number; body: { ok: boolean; error?: { code: string; message: string; issues?: { path: unknown[]; message: string }[] }; plans?: unknown[] } }> {
  const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${tokenOf(who)}` } });
  return { status: res.status, body: (await res.json()) as never };
}

describe("HTTP input goes through the same schemas as the socket commands", () => {
  it("refuses an unknown status with 400 and the socket's error body", async () => {
    const server = await scope.start({ tools: { t: () => 1 } });
    const agent = await scope.join("agent-1");
    // `?status=` is a comma list, so the query means the list ["bogus"]
    const socketAnswer = await agent.cmd("plans:list", { status: ["bogus"] } as never);
    const http = await get(server.url, "/api/plans?status=bogus");
    expect(http.status).toBe(400);
    expect(http.body.ok).toBe(false);
    expect(http.body.error?.code).toBe("VALIDATION");
    expect(http.body.error?.issues).toEqual(socketAnswer.ok ? [] : socketAnswer.error.issues);
    expect(http.body.error?.issues?.[0]?.path).toEqual(["status", 0]);
    expect(http.body.error?.message).toMatch(/status\.0: .*expected one of .*"pending_approval"/);
  });

  it("refuses a misspelled query key, suggesting the right one", async () => {
    const server = await scope.start();
    const http = await get(server.url, "/api/plans?stauts=approved");
    expect(http).toEqual({
      status: 400,
      body: {
        ok: false,
        error: {
          code: "VALIDATION",
          message: 'invalid query of GET /api/plans: stauts: unknown key "stauts" (did you mean "status"?)',
          issues: [{ path: ["stauts"], code: "unrecognized_keys", message: 'unknown key "stauts" (did you mean "status"?)' }],
        },
      },
    });
    const plan = await get(server.url, "/api/plans/some-plan?aftrSeq=3");
    expect(plan.status).toBe(400);
    expect(plan.body.error?.issues).toEqual([{ path: ["aftrSeq"], code: "unrecognized_keys", message: 'unknown key "aftrSeq" (did you mean "afterSeq"?)' }]);
  });

  it("refuses limits and sequence numbers that are not integers in range", async () => {
    const server = await scope.start();
    for (const path of ["/api/plans?limit=abc", "/api/plans?limit=0", "/api/plans?limit=501", "/api/plans/x?afterSeq=-1", "/api/plans/x?limit=1001", "/api/plans/x?afterSeq=1.5"]) {
      const http = await get(server.url, path);
      expect(http.status, path).toBe(400);
      expect(http.body.error?.code, path).toBe("VALIDATION");
    }
  });

  it("accepts status as a comma list or repeated, and filters by it", async () => {
    const server = await scope.start({ tools: { t: () => 1 } });
    const agent = await scope.join("agent-1");
    await agent.ok("plan:submit", { plan: chainPlan(["t"]) });
    const pending = await get(server.url, "/api/plans?status=pending_approval,approved&limit=10");
    expect(pending.status).toBe(200);
    expect(pending.body.plans).toHaveLength(1);
    expect((await get(server.url, "/api/plans?status=completed&status=failed")).body.plans).toEqual([]);
  });

  it("answers a bad cursor with 400 VALIDATION", async () => {
    const server = await scope.start();
    const http = await get(server.url, "/api/plans?cursor=not-a-cursor");
    expect(http.status).toBe(400);
    expect(http.body.error?.code).toBe("VALIDATION");
  });
});

describe("HTTP status of each error code", () => {
  it("is chosen for every code: 4xx for what the caller can fix, 5xx for what the server or a tool failed at", () => {
    expect(Object.keys(HTTP_STATUS).sort()).toEqual([...ERROR_CODES].sort());
    for (const code of ERROR_CODES) expect(HTTP_STATUS[code], code).toBeGreaterThanOrEqual(400);
    expect(HTTP_STATUS.TIMEOUT).toBe(504);
    expect(HTTP_STATUS.UNKNOWN_TOOL).toBe(422);
    expect(HTTP_STATUS.INTERNAL).toBe(500);
  });
});
