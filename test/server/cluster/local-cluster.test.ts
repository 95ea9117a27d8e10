import { describe, expect, it } from "vitest";
import { createLocalCluster } from "../../../server/cluster/local-cluster.js";

describe("local cluster", () => {
  it("keeps presence in memory, one entry per principal in the order they came", async () => {
    const cluster = createLocalCluster("n1");
    await cluster.open();
    await cluster.presence.join({ planId: "p1", socketId: "s1", principalId: "bob", name: "Bob", roles: ["reviewer"] });
    await cluster.presence.join({ planId: "p1", socketId: "s2", principalId: "ann", name: "Ann", roles: ["reviewer"] });
    await cluster.presence.join({ planId: "p1", socketId: "s3", principalId: "bob", name: "Bob", roles: ["reviewer"] });
    await cluster.presence.join({ planId: "p2", socketId: "s4", principalId: "cy", name: "Cy", roles: ["observer"] });
    expect(await cluster.presence.of("p1")).toEqual([
      { principalId: "bob", name: "Bob", roles: ["reviewer"] },
      { principalId: "ann", name: "Ann", roles: ["reviewer"] },
    ]);
    await cluster.presence.leave("p1", "s1");
    expect((await cluster.presence.of("p1")).map((m) => m.principalId)).toEqual(["ann", "bob"]);
    await cluster.presence.leave("p1", "s3");
    await cluster.presence.leave("p1", "unknown");
    expect(await cluster.presence.of("p1")).toEqual([{ principalId: "ann", name: "Ann", roles: ["reviewer"] }]);
    await cluster.close();
    expect(await cluster.presence.of("p2")).toEqual([]);
  });

  it("keeps routes in memory; clearing through a stale socket leaves the newer route", async () => {
    const cluster = createLocalCluster("n1");
    await cluster.routes.set("p1", "old");
    await cluster.routes.set("p1", "new");
    await cluster.routes.clear("p1", "old");
    expect(await cluster.routes.of("p1")).toEqual({ nodeId: "n1", socketId: "new" });
    await cluster.routes.clear("p1", "new");
    expect(await cluster.routes.of("p1")).toBeUndefined();
  });

  it("delivers published hints to nobody: there are no other nodes", async () => {
    const cluster = createLocalCluster("n1");
    const seen: unknown[] = [];
    const stop = cluster.onHint((hint) => seen.push(hint));
    cluster.onReconnect(() => seen.push("reconnect"));
    cluster.publish({ kind: "presence", planId: "p1" });
    cluster.publish({ kind: "head", planId: "p1", seq: 3 });
    await new Promise((resolve) => setImmediate(resolve));
    stop();
    expect(seen).toEqual([]);
    expect(cluster.nodeId).toBe("n1");
  });

  it("refuses malformed input with VALIDATION and changes nothing", async () => {
    const cluster = createLocalCluster("n1");
    await expect(cluster.presence.join({ planId: "bad id!", socketId: "s1", principalId: "a", name: "A", roles: [] })).rejects.toMatchObject({ code: "VALIDATION" });
    await expect(cluster.presence.join({ planId: "p1", socketId: "", principalId: "a", name: "A", roles: [] })).rejects.toMatchObject({ code: "VALIDATION" });
    await expect(cluster.routes.set("p1", "")).rejects.toMatchObject({ code: "VALIDATION" });
    await expect(cluster.routes.of("../x")).rejects.toMatchObject({ code: "VALIDATION" });
    expect(await cluster.presence.of("p1")).toEqual([]);
    expect(await cluster.routes.of("p1")).toBeUndefined();
  });
});
