import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import { connect, type PlanroomClient } from "../../client/index.js";
import { demoServerTools } from "../../examples/demo-tools.js";
import { createPlanroomServer, silentLogger, type PlanroomServer, type PlanroomServerOptions } from "../../server/index.js";
import { REAL_SERVER_PRINCIPALS } from "./test-principals.js";

/** What {@link startRealServer} takes: server options over the defaults, and the data directory to use (default: a new temporary one). */
export type RealServerOptions = Partial<PlanroomServerOptions> & { dataDir?: string };

/** A started real server, its data directory, and how to stop it and remove that directory. */
export interface RealServer {
  server: PlanroomServer;
  dataDir: string;
  cleanup: () => Promise<void>;
}

/** A real Planroom server on port 0 (or a given port), on a temporary data directory, with {@link REAL_SERVER_PRINCIPALS} and the demo's server tools. */
export async function startRealServer(options: RealServerOptions = {}): Promise<RealServer> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), "planroom-test-")));
  const server = await createPlanroomServer({ port: 0, host: "127.0.0.1", dataDir, principals: REAL_SERVER_PRINCIPALS, tools: demoServerTools, log: silentLogger, shutdownGraceMs: 500, ...options });
  return {
    server,
    dataDir,
    cleanup: async () => {
      await server.close().catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A test file's real servers and SDK clients; everything started is closed after each test. */
export function useRealServers(): {
  /** Starts a real server (see {@link startRealServer}). */
  server: (options?: RealServerOptions) => Promise<PlanroomServer>;
  /** Connects an SDK client. */
  client: (url: string, token: string) => PlanroomClient;
} {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  return {
    async server(options = {}) {
      const started = await startRealServer(options);
      cleanups.push(started.cleanup);
      return started.server;
    },
    client(url, token) {
      const c = connect(url, { token });
      cleanups.push(() => c.close());
      return c;
    },
  };
}
