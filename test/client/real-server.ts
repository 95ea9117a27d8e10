import { mkdtemp, rm } from "node:fs/promises";
import { afterEach } from "vitest";
import { connect, type PlanroomClient } from "../../client/index.js";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { demoServerTools } from "../../examples/demo-tools.js";
import { createPlanroomServer, silentLogger, type PlanroomServer, type PlanroomServerOptions } from "../../server/index.js";

/** Fixed tokens of the test principals. */
export const TOKENS = {
  agent: "agent-token-0123456789",
  reviewer1: "reviewer1-token-0123456789",
  reviewer2: "reviewer2-token-0123456789",
  observer: "observer-token-0123456789",
} as const;

const principals = [
  { id: "agent-1", name: "Agent", roles: ["agent" as const], token: TOKENS.agent },
  { id: "reviewer-1", name: "Reviewer 1", roles: ["reviewer" as const], token: TOKENS.reviewer1 },
  { id: "reviewer-2", name: "Reviewer 2", roles: ["reviewer" as const], token: TOKENS.reviewer2 },
  { id: "observer-1", name: "Observer", roles: ["observer" as const], token: TOKENS.observer },
];

/** A real Planroom server on port 0 (or a given port), on a temporary data directory, with the demo's server tools. */
export async function startRealServer(options: Partial<PlanroomServerOptions> & { dataDir?: string } = {}): Promise<{ server: PlanroomServer; dataDir: string; cleanup: () => Promise<void> }> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), "planroom-test-")));
  const server = await createPlanroomServer({ port: 0, host: "127.0.0.1", dataDir, principals, tools: demoServerTools, log: silentLogger, shutdownGraceMs: 500, ...options });
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
  server: (options?: Parameters<typeof startRealServer>[0]) => Promise<PlanroomServer>;
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
