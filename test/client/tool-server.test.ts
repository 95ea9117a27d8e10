import { describe, expect, it } from "vitest";
import { ToolServer, type ToolContext } from "../../client/index.js";
import { PlanroomError, toStepError, type ToolInvoke, type ToolResult } from "../../shared/index.js";

function request(overrides: Partial<ToolInvoke> = {}): ToolInvoke {
  return { planId: "p1", stepId: "s1", tool: "echo", params: { text: "hi" }, attempt: 1, idempotencyKey: "p1:s1:1", deadline: Date.now() + 10_000, dependencies: {}, ...overrides };
}

function invoke(server: ToolServer, req: unknown): Promise<ToolResult> {
  return new Promise((resolve) => server.invoke(req, resolve));
}

describe("ToolServer", () => {
  it("runs the plan's handler with params and context and answers its JSON result", async () => {
    const server = new ToolServer();
    let seen: ToolContext | undefined;
    server.register("p1", {
      echo: (params, ctx) => {
        seen = ctx;
        return { said: params.text, when: new Date(0) };
      },
    });
    const result = await invoke(server, request({ dependencies: { s0: 1 } }));
    expect(result).toEqual({ ok: true, result: { said: "hi", when: "1970-01-01T00:00:00.000Z" } });
    expect(seen).toMatchObject({ planId: "p1", stepId: "s1", attempt: 1, idempotencyKey: "p1:s1:1", dependencies: { s0: 1 } });
    expect(seen?.signal.aborted).toBe(true); // released once the call is over
  });

  it("runs a re-sent invoke (same idempotency key) once and answers both", async () => {
    const server = new ToolServer();
    let runs = 0;
    server.register("p1", {
      echo: async () => {
        runs++;
        await new Promise((r) => setTimeout(r, 20));
        return runs;
      },
    });
    const [a, b] = await Promise.all([invoke(server, request()), invoke(server, request())]);
    const c = await invoke(server, request());
    expect(runs).toBe(1);
    expect([a, b, c]).toEqual([{ ok: true, result: 1 }, { ok: true, result: 1 }, { ok: true, result: 1 }]);
    expect(await invoke(server, request({ attempt: 2, idempotencyKey: "p1:s1:2" }))).toEqual({ ok: true, result: 2 });
  });

  it("tool:cancel aborts the handler's signal and answers CANCELLED", async () => {
    const server = new ToolServer();
    let signal: AbortSignal | undefined;
    server.register("p1", { echo: (_p, ctx) => ((signal = ctx.signal), new Promise(() => undefined)) });
    const pending = invoke(server, request());
    await Promise.resolve();
    await Promise.resolve();
    server.cancel({ idempotencyKey: "p1:s1:1", reason: "plan cancelled" });
    expect(await pending).toEqual({ ok: false, error: { code: "CANCELLED", message: "plan cancelled" } });
    expect(signal?.aborted).toBe(true);
    expect(server.running).toBe(0);
  });

  it("aborts at the deadline with TIMEOUT", async () => {
    const server = new ToolServer();
    server.register("p1", { echo: (_p, ctx) => new Promise((_, reject) => ctx.signal.addEventListener("abort", () => reject(new Error("aborted")))) });
    const result = await invoke(server, request({ deadline: Date.now() + 5 }));
    expect(result).toMatchObject({ ok: false, error: { code: "TIMEOUT" } });
  });

  it("turns errors into { ok:false } keeping a string code, else TOOL_ERROR", async () => {
    const server = new ToolServer();
    server.register("p1", {
      coded: () => {
        throw Object.assign(new Error("no such file"), { code: "ENOENT" });
      },
      plain: async () => {
        throw new Error("boom");
      },
      cyclic: () => {
        const o: Record<string, unknown> = {};
        o.self = o;
        return o;
      },
    });
    expect(await invoke(server, request({ tool: "coded", idempotencyKey: "a" }))).toEqual({ ok: false, error: { code: "ENOENT", message: "no such file" } });
    expect(await invoke(server, request({ tool: "plain", idempotencyKey: "b" }))).toEqual({ ok: false, error: { code: "TOOL_ERROR", message: "boom" } });
    expect(await invoke(server, request({ tool: "cyclic", idempotencyKey: "c" }))).toMatchObject({ ok: false, error: { code: "TOOL_ERROR" } });
  });

  it("words a thrown value exactly as the server's executor does (the shared toStepError)", async () => {
    const thrown: unknown[] = [new PlanroomError("CONFLICT", "taken"), Object.assign(new Error("long"), { code: "C".repeat(100) }), { why: "object" }, "plain text", new TypeError(""), 7];
    const server = new ToolServer();
    server.register("p1", { echo: (_p, ctx) => Promise.reject(thrown[ctx.attempt - 1]) });
    for (let attempt = 1; attempt <= thrown.length; attempt++) {
      expect(await invoke(server, request({ attempt, idempotencyKey: `p1:s1:${attempt}` }))).toEqual({ ok: false, error: toStepError(thrown[attempt - 1]) });
    }
  });

  it("refuses unknown tools, other plans' tools and malformed requests", async () => {
    const server = new ToolServer();
    server.register("p1", { echo: () => 1 });
    expect(await invoke(server, request({ tool: "constructor" }))).toMatchObject({ ok: false, error: { code: "UNKNOWN_TOOL" } });
    expect(await invoke(server, request({ planId: "p2" }))).toMatchObject({ ok: false, error: { code: "UNKNOWN_TOOL" } });
    expect(await invoke(server, { planId: 3 })).toMatchObject({ ok: false, error: { code: "VALIDATION" } });
    expect(() => server.invoke(request({ idempotencyKey: "x" }), undefined)).not.toThrow();
  });

  it("serves tools of a submission whose plan id is not known yet", async () => {
    const server = new ToolServer();
    const release = server.holdUnassigned({ echo: () => "early" });
    expect(await invoke(server, request({ planId: "new" }))).toEqual({ ok: true, result: "early" });
    release();
    expect(await invoke(server, request({ planId: "new", idempotencyKey: "k2" }))).toMatchObject({ ok: false, error: { code: "UNKNOWN_TOOL" } });
  });
});

describe("ToolServer result cap", () => {
  it("refuses to send a result larger than the server accepts, with RESULT_TOO_LARGE", async () => {
    const server = new ToolServer();
    server.register("p1", { echo: () => ({ blob: "x".repeat(5_000) }), small: () => ({ ok: "yes" }) });
    const refused = await invoke(server, request({ maxResultBytes: 4_096 }));
    expect(refused).toMatchObject({ ok: false, error: { code: "RESULT_TOO_LARGE" } });
    expect(JSON.stringify(refused).length).toBeLessThan(1_000);
    expect(await invoke(server, request({ tool: "small", idempotencyKey: "p1:s1:2", maxResultBytes: 4_096 }))).toEqual({ ok: true, result: { ok: "yes" } });
    expect(await invoke(server, request({ idempotencyKey: "p1:s1:3" }))).toMatchObject({ ok: true });
  });
});
