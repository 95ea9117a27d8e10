/**
 * A reverse proxy for the tests, playing nginx's part: it forwards HTTP requests and WebSocket
 * upgrades to a target, from its own local address, adding `X-Forwarded-For` (the address of the
 * peer it got the request from) and `X-Forwarded-Proto`, as a proxy that terminates TLS would.
 */
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";

/** Options of {@link startForwardingProxy}. */
export interface ForwardingProxyOptions {
  /** The `host:port` requests are forwarded to. */
  target: { host: string; port: number };
  /** The local address the proxy connects to the target from (e.g. `127.0.0.2`, to tell it from direct clients). */
  localAddress: string;
  /** What `X-Forwarded-Proto` says (default `https`). */
  proto?: string;
}

/** A started forwarding proxy. */
export interface ForwardingProxy {
  /** `http://127.0.0.1:port` */
  url: string;
  close(): Promise<void>;
}

/** The request's headers with the forwarding headers set, like nginx's `proxy_set_header` lines. */
function forwardedHeaders(req: IncomingMessage, proto: string): IncomingHttpHeaders {
  const peer = req.socket.remoteAddress ?? "";
  const before = req.headers["x-forwarded-for"];
  return { ...req.headers, "x-forwarded-for": before ? `${String(before)}, ${peer}` : peer, "x-forwarded-proto": proto };
}

/** Starts a forwarding proxy on 127.0.0.1, port 0. */
export async function startForwardingProxy(options: ForwardingProxyOptions): Promise<ForwardingProxy> {
  const proto = options.proto ?? "https";
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const upstream = request({ ...options.target, localAddress: options.localAddress, method: req.method, path: req.url, headers: forwardedHeaders(req, proto) }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.on("upgrade", (req, client: Socket, head: Buffer) => {
    const upstream = connect({ ...options.target, localAddress: options.localAddress }, () => {
      const headers = forwardedHeaders(req, proto);
      let text = `${req.method} ${req.url} HTTP/1.1\r\n`;
      for (const [name, value] of Object.entries(headers)) {
        for (const v of Array.isArray(value) ? value : [value ?? ""]) text += `${name}: ${v}\r\n`;
      }
      upstream.write(`${text}\r\n`);
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on("close", () => sockets.delete(upstream));
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
    };
    upstream.on("error", drop);
    client.on("error", drop);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
