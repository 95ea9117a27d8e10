import { io as connectClient, type Socket } from "socket.io-client";
import { afterEach, describe, expect, it } from "vitest";
import type { PlanroomServer } from "../../../../server/app/create-server.js";
import { startTestServer } from "../../../support/planroom-test-kit.js";
import { tokenOf } from "../../../support/test-principals.js";

let server: PlanroomServer | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  await server?.close();
  server = undefined;
});

/** Opens a socket as `id` over `transport`; resolves with it once connected, or with the refusal's message. */
function open(url: string, id: string, transport: "websocket" | "polling" = "websocket"): Promise<{ socket: Socket; refused?: string }> {
  const socket = connectClient(url, { auth: { token: tokenOf(id) }, transports: [transport], reconnection: false, forceNew: true });
  sockets.push(socket);
  return new Promise((resolve) => {
    socket.once("connect", () => resolve({ socket }));
    socket.once("connect_error", (e) => resolve({ socket, refused: e.message }));
  });
}

describe("limits.maxSocketsPerPrincipal", () => {
  it("refuses the N+1th socket of a principal at the handshake, lets other principals in, and takes one again once a socket disconnects", async () => {
    server = await startTestServer({ limits: { maxSocketsPerPrincipal: 3 } });
    const url = server.url;
    const held = [await open(url, "rev-1"), await open(url, "rev-1", "polling"), await open(url, "rev-1")];
    for (const h of held) expect(h.refused).toBeUndefined();

    const fourth = await open(url, "rev-1");
    expect(fourth.refused).toMatch(/^QUOTA_EXCEEDED: rev-1 has 3 sockets connected, .*limits\.maxSocketsPerPrincipal/);
    // Refused ones take no slot: refusing several in a row does not change what frees one.
    for (let i = 0; i < 3; i++) expect((await open(url, "rev-1", i % 2 === 0 ? "polling" : "websocket")).refused).toMatch(/^QUOTA_EXCEEDED/);
    // Another principal is not affected.
    expect((await open(url, "rev-2")).refused).toBeUndefined();

    (held[1] as { socket: Socket }).socket.close();
    // The server frees the slot when it sees the disconnection (asynchronously).
    await expect.poll(async () => {
      const attempt = await open(url, "rev-1");
      if (attempt.refused === undefined) return "connected";
      attempt.socket.close();
      return attempt.refused;
    }).toBe("connected");
    // Exactly one slot was freed.
    expect((await open(url, "rev-1")).refused).toMatch(/^QUOTA_EXCEEDED/);
  });

  it("a socket whose transport drops (no clean disconnect) gives its slot back too", async () => {
    server = await startTestServer({ limits: { maxSocketsPerPrincipal: 1 } });
    const first = await open(server.url, "obs");
    expect(first.refused).toBeUndefined();
    // Cut the transport from the server side: the socket sees a transport close, not a client disconnect.
    for (const s of server.io.sockets.sockets.values()) s.conn.close();
    await expect.poll(async () => {
      const attempt = await open((server as PlanroomServer).url, "obs");
      attempt.socket.close();
      return attempt.refused ?? "connected";
    }).toBe("connected");
  });
});
