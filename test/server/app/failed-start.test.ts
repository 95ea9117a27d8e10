import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createPlanroomServer, type PlanroomServer } from "../../../server/app/create-server.js";
import { silentLogger } from "../../../server/runtime/logger.js";
import { TEST_PRINCIPALS } from "../../support/test-principals.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A TCP port held by someone else for the test's length. */
async function takenPort(): Promise<number> {
  const holder: Server = createServer();
  await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise((resolve) => holder.close(resolve)));
  return (holder.address() as { port: number }).port;
}

describe("a start that fails once the store is open", () => {
  it.each([
    ["the port is taken", async () => ({ port: await takenPort() })],
    ["the metrics address is taken", async () => ({ port: 0, metricsListen: `127.0.0.1:${await takenPort()}` })],
  ])("lets go of the data directory when %s: the next start on it succeeds in the same process", async (_what, where) => {
    const dataDir = await mkdtemp(join(tmpdir(), "planroom-failed-start-"));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const options = { host: "127.0.0.1", dataDir, principals: TEST_PRINCIPALS, log: silentLogger };
    await expect(createPlanroomServer({ ...options, ...(await where()) })).rejects.toThrow(/EADDRINUSE/);
    const server: PlanroomServer = await createPlanroomServer({ ...options, port: 0 });
    cleanups.push(() => server.close());
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });
});
