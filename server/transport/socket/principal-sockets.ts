import type { Socket } from "socket.io";

/**
 * How many sockets each principal has connected, held under a cap. A socket takes its slot at the
 * handshake (in the `io.use` middleware, before `connection`) and gives it back exactly once: when
 * it disconnects, or when its transport closes before it got connected.
 */
export class PrincipalSockets {
  private readonly counts = new Map<string, number>();

  constructor(private readonly maxPerPrincipal: number) {}

  /** How many sockets `principalId` holds. */
  count(principalId: string): number {
    return this.counts.get(principalId) ?? 0;
  }

  /** Takes a slot of `principalId` for `socket`; false (nothing taken) when the principal has none left. */
  admit(socket: Socket, principalId: string): boolean {
    const held = this.count(principalId);
    if (held >= this.maxPerPrincipal) return false;
    // Its transport closed already: Socket.IO drops the socket, and no `close` would give the slot back.
    if (socket.conn.readyState === "closed") return true;
    this.counts.set(principalId, held + 1);
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      socket.conn.off("close", release);
      const left = this.count(principalId) - 1;
      if (left > 0) this.counts.set(principalId, left);
      else this.counts.delete(principalId);
    };
    // `disconnect` covers a connected socket; the transport's `close` one that never got connected
    // (Socket.IO drops it silently when the transport closes between the middleware and `connection`).
    socket.once("disconnect", release);
    socket.conn.once("close", release);
    return true;
  }
}
