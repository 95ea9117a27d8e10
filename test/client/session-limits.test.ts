import { createServer } from "node:http";
import { Server } from "socket.io";
import { afterEach, describe, expect, it } from "vitest";
import { connect, type PlanroomClient } from "../../client/index.js";

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A server that answers `session:whoami` and may or may not announce its limits. */
async function serverThat(limits: { maxMessageBytes: number } | undefined): Promise<string> {
  const http = createServer();
  const io = new Server(http);
  io.on("connection", (socket) => {
    if (limits) socket.emit("session:limits", limits);
    socket.on("session:whoami", (_payload: unknown, ack: (r: unknown) => void) => ack({ ok: true, principal: { id: "agent-1", name: "Agent", roles: ["agent"] }, voterRoles: ["reviewer"] }));
    socket.on("plan:submit", (_payload: unknown, ack: (r: unknown) => void) => ack({ ok: false, error: { code: "INTERNAL", message: "reached the server" } }));
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  closers.push(() => io.close());
  return `http://127.0.0.1:${(http.address() as { port: number }).port}`;
}

function client(url: string, commandTimeoutMs = 10_000): PlanroomClient {
  const c = connect(url, { token: "t".repeat(20), commandTimeoutMs });
  closers.push(() => c.close());
  return c;
}

/** A plan of `n` steps of about 150 bytes each. */
const plan = (n: number) => ({ description: "sized", steps: Array.from({ length: n }, (_, i) => ({ id: `s${i}`, tool: "t", description: "d".repeat(100) })) });

describe("session:limits", () => {
  it("refuses a command larger than the announced limit before sending it, and sends one that fits", async () => {
    const agent = client(await serverThat({ maxMessageBytes: 1_024 }));
    await expect(agent.submit(plan(20))).rejects.toMatchObject({ code: "VALIDATION", message: expect.stringMatching(/^plan:submit: message too large \(\d{4} bytes, limit 1024\)/) });
    await expect(agent.submit(plan(2))).rejects.toMatchObject({ code: "INTERNAL", message: "reached the server" });
  });

  it("a server that announces none (an older one) gets every command, the first after a short wait within its timeout", async () => {
    const agent = client(await serverThat(undefined), 300);
    expect((await agent.whoami()).id).toBe("agent-1");
    await expect(agent.submit(plan(40))).rejects.toMatchObject({ code: "INTERNAL", message: "reached the server" });
  });
});
