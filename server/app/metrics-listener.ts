import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { MetricsExposition } from "../transport/http/metrics-routes.js";
import type { ListenAddress } from "./listen-address.js";

/** The scrape port of `metricsListen`: its URL (`http://host:port/metrics`) and how to close it. */
export interface MetricsListener {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` without authentication on its own address (for a scraper on a private
 * interface); everything else there is 404. The main port keeps requiring a token.
 */
export async function listenForMetrics(address: ListenAddress, exposition: MetricsExposition): Promise<MetricsListener> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0];
    if (req.method !== "GET" || path !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found: metrics are at /metrics\n");
      return;
    }
    exposition.text().then(
      (text) => res.writeHead(200, { "content-type": exposition.contentType }).end(text),
      () => res.writeHead(500, { "content-type": "text/plain" }).end("metrics unavailable\n"),
    );
  });
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(address.port, address.host, () => {
      server.off("error", fail);
      ok();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = address.host.includes(":") ? `[${address.host}]` : address.host;
  return {
    url: `http://${host}:${port}/metrics`,
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}
