/**
 * A layer-4 load balancer for the cluster tests: a `node:net` TCP proxy that hands each new
 * connection to the next backend in turn, skipping backends that refuse the connection (a killed
 * node), as a round-robin balancer with health-by-connect does. A stopped (SIGSTOP) node still
 * accepts connections in its kernel backlog, so it is not skipped: that is what a real balancer
 * sees too. WebSocket-only clients need no stickiness behind it.
 */
import { connect, createServer, type AddressInfo, type Socket } from "node:net";

/** A backend's address. */
export interface Backend {
  host: string;
  port: number;
}

/** A started round-robin proxy. */
export interface RoundRobinProxy {
  /** `http://127.0.0.1:port` */
  url: string;
  /** Ends every proxied connection (their clients see the connection drop), then stops listening. */
  close(): Promise<void>;
}

/** Starts the proxy on 127.0.0.1, port 0; `backends()` is read for every new connection (nodes restart on new ports). */
export async function startRoundRobinProxy(backends: () => readonly Backend[]): Promise<RoundRobinProxy> {
  const sockets = new Set<Socket>();
  let next = 0;
  const track = (s: Socket): void => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  };

  /** Connects `client` to the first backend, from the next one in turn, that accepts; drops it when none does. */
  const forward = (client: Socket, candidates: readonly Backend[], tried: number): void => {
    if (tried >= candidates.length || client.destroyed) {
      client.destroy();
      return;
    }
    const backend = candidates[(next + tried) % candidates.length]!;
    const upstream = connect(backend);
    track(upstream);
    upstream.once("connect", () => {
      next = (next + tried + 1) % candidates.length;
      upstream.removeAllListeners("error");
      upstream.on("error", () => client.destroy());
      client.on("error", () => upstream.destroy());
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
      upstream.pipe(client);
      client.pipe(upstream);
      client.resume();
    });
    upstream.once("error", () => {
      upstream.destroy();
      forward(client, candidates, tried + 1);
    });
  };

  const server = createServer({ pauseOnConnect: true }, (client) => {
    track(client);
    client.on("error", () => client.destroy());
    forward(client, backends(), 0);
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
