import { execFileSync } from "node:child_process";
import { mkdtempSync, openSync, closeSync, writeSync, ftruncateSync, rmSync, rmdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createFileStore } from "../../../../server/store/file/file-store.js";
import { requirementMet } from "../../../support/environment-requirement.js";
import { connect, useTestServer, type TestClient } from "../../../support/planroom-test-kit.js";

/** Mounts a small tmpfs (needs root); undefined where that is not possible. */
function mountTmpfs(megabytes: number): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), "planroom-full-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${megabytes}m`, "tmpfs", dir], { stdio: "ignore" });
    return dir;
  } catch {
    rmdirSync(dir);
    return undefined;
  }
}

const probe = mountTmpfs(1);
if (probe) {
  execFileSync("umount", [probe]);
  rmdirSync(probe);
}
const canMount = requirementMet("disk-full tests", probe !== undefined, "mounting a small tmpfs needs root");

const mounts: string[] = [];
afterAll(() => {
  for (const dir of mounts) {
    try {
      execFileSync("umount", ["-l", dir], { stdio: "ignore" });
      rmdirSync(dir);
    } catch {
      // already gone
    }
  }
});

const scope = useTestServer();

/** Fills the filesystem, then frees `leave` bytes; returns a function that frees everything. */
function fill(dir: string, leave: number): () => void {
  const path = join(dir, "filler");
  const fd = openSync(path, "w");
  const chunk = Buffer.alloc(64 * 1024, 1);
  let size = 0;
  for (;;) {
    try {
      size += writeSync(fd, chunk);
    } catch {
      break;
    }
  }
  ftruncateSync(fd, Math.max(0, size - leave));
  closeSync(fd);
  return () => rmSync(path, { force: true });
}


async function serverOn(dir: string, gate: () => Promise<unknown>) {
  return scope.start({ store: createFileStore({ dir: join(dir, "data"), indexDebounceMs: 0 }), tools: { gate }, shutdownGraceMs: 0 });
}

describe.runIf(canMount)("a disk that fills up mid-write", () => {
  // Free room below one batch: the write-ahead segment's write fails, and the refusal leaves nothing.
  for (const leave of [8 * 1024]) {
    it(`refuses a submission with nothing stored, and answers from stored state after (${leave / 1024} KiB left)`, { timeout: 30_000 }, async () => {
      const dir = mountTmpfs(4)!;
      mounts.push(dir);
      const server = await serverOn(dir, () => new Promise(() => {}));
      const agent = await connect(server.url, "agent-1");
      const reviewer = await connect(server.url, "rev-1");
      const clients: TestClient[] = [agent, reviewer];
      try {
        const pending = await agent.ok("plan:submit", { plan: { description: "pending", steps: [{ id: "a", tool: "gate", params: {} }] } });
        const running = await agent.ok("plan:submit", { plan: { description: "running", steps: [{ id: "g", tool: "gate", params: {} }] }, autoExecute: true });
        await reviewer.ok("plan:join", { planId: running.planId });
        await reviewer.ok("plan:vote", { planId: running.planId, version: 1, decision: "approve" });
        await reviewer.waitFor((e) => e.type === "step.started" && e.planId === running.planId);
        await server.store.flush();

        const unfill = fill(dir, leave);
        const big = { description: "too big for the disk", steps: [{ id: "b", tool: "gate", params: { blob: "z".repeat(60_000) } }] };
        const refused = await agent.cmd("plan:submit", { plan: big });
        expect(refused).toMatchObject({ ok: false, error: { code: "INTERNAL" } });
        expect(!refused.ok && refused.error.message).toContain("nothing of this was stored");

        // A vote that could not be stored leaves the plan pending, and later answers say so.
        const vote = await reviewer.cmd("plan:vote", { planId: pending.planId, version: 1, decision: "approve" });
        expect(vote.ok).toBe(false);
        const revise = await agent.cmd("plan:revise", { planId: pending.planId, version: 1, description: "again" });
        expect(revise.ok).toBe(false);
        expect(!revise.ok && revise.error.message).not.toContain("approved");
        expect(!revise.ok && revise.error.message).toContain("store failed");
        const cancel = await agent.cmd("plan:cancel", { planId: running.planId });
        expect(cancel.ok).toBe(false);
        expect(!cancel.ok && cancel.error.message).not.toContain("cannot be cancelled");
        const joined = await reviewer.ok("plan:join", { planId: pending.planId });
        expect(joined.snapshot.plan.status).toBe("pending_approval");
        expect(joined.snapshot.votes).toHaveLength(0);

        unfill();
        for (const c of clients) c.close();
        await server.close().catch(() => {});

        const again = await serverOn(dir, () => Promise.resolve("done"));
        const back = await connect(again.url, "agent-1");
        clients.push(back);
        const { plans } = await back.ok("plans:list", {});
        expect(plans.map((p) => p.description).sort()).toEqual(["pending", "running"]);
        expect(plans.find((p) => p.id === pending.planId)?.status).toBe("pending_approval");
        // The agent's retry is the only copy.
        const retry = await back.ok("plan:submit", { plan: big });
        expect((await back.ok("plans:list", {})).plans.filter((p) => p.description === big.description).map((p) => p.id)).toEqual([retry.planId]);
      } finally {
        for (const c of clients) c.close();
      }
    });
  }

  it("keeps an event the segment took even when its plan file cannot be written: it is there after a restart, once", { timeout: 30_000 }, async () => {
    // Room for the segment's line (about 60 KiB) but not for the plan file's copy as well.
    const dir = mountTmpfs(4)!;
    mounts.push(dir);
    const server = await serverOn(dir, () => new Promise(() => {}));
    const agent = await connect(server.url, "agent-1");
    const clients: TestClient[] = [agent];
    try {
      await agent.ok("plan:submit", { plan: { description: "before", steps: [{ id: "a", tool: "gate", params: {} }] } });
      await server.store.flush();
      const unfill = fill(dir, 96 * 1024);
      const big = { description: "fits the segment only", steps: [{ id: "b", tool: "gate", params: { blob: "z".repeat(60_000) } }] };
      const accepted = await agent.ok("plan:submit", { plan: big }); // durable in the segment: acknowledged
      agent.close();
      // Writing the plan files fails at shutdown: the segment stays for the next start.
      await server.close().catch(() => {});
      unfill();
      const again = await serverOn(dir, () => Promise.resolve("done"));
      const back = await connect(again.url, "agent-1");
      clients.push(back);
      const { plans } = await back.ok("plans:list", {});
      expect(plans.map((p) => p.description).sort()).toEqual(["before", big.description]);
      expect(plans.find((p) => p.description === big.description)?.id).toBe(accepted.planId);
      const joined = await back.ok("plan:join", { planId: accepted.planId, afterSeq: 0 });
      expect(joined.events.map((e) => e.type)).toEqual(["plan.submitted"]);
    } finally {
      for (const c of clients) c.close();
    }
  });
});
