import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { parseConfig } from "../../../server/app/config.js";
import { startFromConfig } from "../../../server/app/serve.js";
import { silentLogger } from "../../../server/runtime/logger.js";
import { TEST_PRINCIPALS } from "../../support/test-principals.js";

describe("startFromConfig", () => {
  it("removes its SIGINT and SIGTERM handlers when the server is closed", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "planroom-start-"));
    const printed = vi.spyOn(console, "log").mockImplementation(() => undefined);
    const before = [process.listenerCount("SIGINT"), process.listenerCount("SIGTERM")];
    try {
      const server = await startFromConfig(parseConfig({ port: 0, dataDir, principals: TEST_PRINCIPALS }), {}, silentLogger);
      expect([process.listenerCount("SIGINT"), process.listenerCount("SIGTERM")]).toEqual([before[0]! + 1, before[1]! + 1]);
      expect(printed.mock.calls[0]?.[0]).toBe(`planroom listening on ${server.url}`);
      await server.close();
      expect([process.listenerCount("SIGINT"), process.listenerCount("SIGTERM")]).toEqual(before);
    } finally {
      printed.mockRestore();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
