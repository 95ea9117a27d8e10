import { mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { connect as connectTcp, type Socket } from "node:net";
import { join } from "node:path";
import { setImmediate as nextTurn } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { connect, type PlanroomClient } from "../../../../client/index.js";
import { createFileStore } from "../../../../server/store/file/file-store.js";
import { createMemoryStore } from "../../../../server/store/memory-store.js";
import type { Store } from "../../../../server/store/store.js";
import { startRealServer, useRealServers } from "../../../support/real-server.js";
import { TOKENS } from "../../../support/test-principals.js";

const real = useRealServers();

async function readyz(url: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${url}/readyz`);
  return { status: res.status, body: await res.json() };
}

/** Reads everything the peer sends until it ends the connection. */
function readAll(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => (text += chunk));
    socket.on("end", () => resolve(text));
    socket.on("error", reject);
  });
}

describe("GET /readyz", () => {
  it("is 200 { ok: true } on a serving server, without a token, and /healthz stays liveness", async () => {
    const server = await real.server();
    expect(await readyz(server.url)).toEqual({ status: 200, body: { ok: true } });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it("is 200 with a store that cannot report its health (written before Store.health existed)", async () => {
    const older: Store = createMemoryStore();
    delete older.health;
    const { server, cleanup } = await startRealServer({ store: older });
    try {
      expect(await readyz(server.url)).toEqual({ status: 200, body: { ok: true } });
    } finally {
      await cleanup();
    }
  });

  it("is 503 with a reason once shutdown began, on a connection that was already open", async () => {
    // The store's flush is held, so close() stays in its drain while the request is answered.
    const base = createMemoryStore();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const store: Store = { ...base, flush: () => held.then(() => base.flush()) };
    const { server, cleanup } = await startRealServer({ store });
    try {
      const accepted = new Promise<Socket>((r) => server.http.once("connection", r));
      const socket = connectTcp(server.port, "127.0.0.1");
      const response = readAll(socket);
      // Half a request: the connection is busy, so close() does not drop it as idle.
      const head = "GET /readyz HTTP/1.1\r\nHost: planroom.test\r\n";
      socket.write(head);
      const peer = await accepted;
      while (peer.bytesRead < head.length) await nextTurn();
      const closed = server.close();
      socket.end("Connection: close\r\n\r\n");
      const text = await response;
      expect(text).toMatch(/^HTTP\/1\.1 503 /);
      expect(JSON.parse(text.slice(text.indexOf("\r\n\r\n") + 4))).toEqual({ ok: false, reason: "shutting down" });
      release();
      await closed;
    } finally {
      release();
      await cleanup();
    }
  });

  it("is 503 with the store's reason once the file store refused a write, while /healthz still answers", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "planroom-readyz-"));
    // One descriptor at a time: a plan's file is reopened by path on its next write; plan files
    // written after every commit.
    const store = createFileStore({ dir: dataDir, maxOpenFiles: 1, unwrittenBytes: 1 });
    const { server, cleanup } = await startRealServer({ store, dataDir });
    const clients: PlanroomClient[] = [];
    const client = (token: string): PlanroomClient => {
      const c = connect(server.url, { token });
      clients.push(c);
      return c;
    };
    try {
      const agent = client(TOKENS.agent);
      const first = await agent.submit({ description: "first", steps: [{ id: "e", tool: "echo", params: {} }] });
      await agent.submit({ description: "second", steps: [{ id: "e", tool: "echo", params: {} }] });
      expect(await readyz(server.url)).toEqual({ status: 200, body: { ok: true } });
      expect(store.health()).toEqual({ writable: true });

      // The first plan's file now leads to a device that is always full: its next write fails.
      const file = join(dataDir, "events", `${first.planId}.jsonl`);
      await rm(file);
      await symlink("/dev/full", file);
      // The vote is stored (its line is durable in the write-ahead segment); writing it to the plan
      // file after the commit fails, and from then on the store refuses writes.
      await (await client(TOKENS.reviewer1).join(first.planId)).approve();
      for (let i = 0; i < 200 && store.health().writable; i++) await new Promise((resolve) => setTimeout(resolve, 5));
      const refused = await agent.submit({ description: "third", steps: [{ id: "e", tool: "echo", params: {} }] }).then(() => "stored", (e: Error) => e.message);
      expect(refused).not.toBe("stored");

      const health = store.health();
      expect(health.writable).toBe(false);
      const answer = await readyz(server.url);
      expect(answer.status).toBe(503);
      expect(answer.body).toEqual({ ok: false, reason: `the store refuses writes: ${health.writable ? "" : health.reason}` });
      expect(JSON.stringify(answer.body)).toContain("the event log failed");
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    } finally {
      for (const c of clients) c.close();
      await cleanup();
    }
  });
});
