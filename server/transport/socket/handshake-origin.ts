import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";

/** `scheme://host[:port]` of a URL-like string (default ports dropped, host lowercased); undefined if it is none. */
function originOf(value: string): string | undefined {
  try {
    const origin = new URL(value).origin;
    return origin === "null" ? undefined : origin;
  } catch {
    return undefined;
  }
}

/**
 * Which browser origins may open a Socket.IO connection. CORS does not cover WebSockets (a page
 * of any site may open one to any server, and the browser sends its cookies and the page's
 * `Origin`), so the handshake's `Origin` header is checked here, for both transports:
 *
 * - no `Origin` header (a non-browser client: the SDK in Node, the CLI): allowed;
 * - the request's own origin (`http` or, on a TLS socket, `https`, with its `Host` header): allowed,
 *   so the dashboard served by this server connects under any host name it is reached by;
 * - an origin listed in `corsOrigins`: allowed;
 * - anything else (`null` included): refused.
 *
 * Behind a proxy that terminates TLS or rewrites `Host`, list the public origin in `corsOrigins`.
 */
export class HandshakeOrigins {
  private readonly listed = new Set<string>();

  constructor(corsOrigins: readonly string[]) {
    for (const o of corsOrigins) {
      this.listed.add(o);
      const normalized = originOf(o);
      if (normalized) this.listed.add(normalized);
    }
  }

  /** Whether the handshake request's `Origin` may connect. */
  allows(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    if (this.listed.has(origin)) return true;
    const normalized = originOf(origin);
    if (normalized === undefined) return false;
    if (this.listed.has(normalized)) return true;
    const host = req.headers.host;
    if (!host) return false;
    const scheme = (req.socket as Partial<TLSSocket>).encrypted === true ? "https" : "http";
    return originOf(`${scheme}://${host}`) === normalized;
  }
}
