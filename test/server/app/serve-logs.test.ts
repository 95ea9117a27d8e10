import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { io as connectClient } from "socket.io-client";
import { afterEach, describe, expect, it } from "vitest";
import { startChildServer, type ChildServer } from "../../support/child-server.js";

const started: { child: ChildServer; dir: string }[] = [];
afterEach(async () => {
  for (const { child, dir } of started.splice(0)) {
    await child.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  }
});

async function waitUntil(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("planroom serve's output", () => {
  it("prints the start-up lines and development tokens plainly, and logs JSON lines that never hold a token", async () => {
    const dir = await mkdtemp(join(tmpdir(), "planroom-serve-logs-"));
    const child = await startChildServer(["--port", "0", "--host", "127.0.0.1", "--data", join(dir, "data"), "--log-format", "json", "--log-level", "info"]);
    started.push({ child, dir });
    // The development set: one agent, three reviewers, one observer.
    await waitUntil(() => [...child.output().matchAll(/ token (\S+) /g)].length === 5, "the development tokens");
    const tokens = [...child.output().matchAll(/ token (\S+) /g)].map((m) => m[1]!);

    const socket = connectClient(child.url, { auth: { token: tokens[0] }, transports: ["websocket"], reconnection: false, forceNew: true });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once("connect", () => resolve());
        socket.once("connect_error", reject);
      });
      await socket.timeout(5_000).emitWithAck("session:whoami", {});
      await waitUntil(() => child.output().includes("command session:whoami OK"), "the audit line");
    } finally {
      socket.close();
    }
    const lines = child.output().split("\n").filter((l) => l !== "");
    const json = lines.filter((l) => l.startsWith("{"));
    const plain = lines.filter((l) => !l.startsWith("{"));
    // (a JSON warning may come first: without a built dashboard, start-up says so)
    expect(plain[0]).toBe(`planroom listening on ${child.url}`);
    expect(plain).toContain(`dashboard: ${child.url}/`);
    expect(plain.some((l) => l.startsWith("data directory: "))).toBe(true);
    expect(plain.filter((l) => / token /.test(l))).toHaveLength(tokens.length);
    const audit = json.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.audit === "command");
    expect(audit).toMatchObject({ level: "info", command: "session:whoami", code: "OK" });
    for (const line of json) for (const token of tokens) expect(line).not.toContain(token);
  }, 30_000);

  it("prints links at --public-url, and refuses one that is not http(s)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "planroom-serve-logs-"));
    const child = await startChildServer(["--port", "0", "--host", "127.0.0.1", "--data", join(dir, "data"), "--public-url", "https://planroom.example.com/"]);
    started.push({ child, dir });
    await waitUntil(() => [...child.output().matchAll(/ token (\S+) /g)].length === 5, "the development tokens");
    expect(child.output()).toContain("dashboard: https://planroom.example.com/\n");
    for (const line of child.output().split("\n").filter((l) => / token /.test(l))) expect(line).toMatch(/ https:\/\/planroom\.example\.com\/#\/\?token=\S+$/);
    await expect(startChildServer(["--port", "0", "--data", join(dir, "other"), "--public-url", "planroom.example.com"])).rejects.toThrow(/publicUrl must be an http:\/\/ or https:\/\/ URL/);
  }, 30_000);

  it("--help prints the options and exits 0; an unknown option exits 1", async () => {
    const run = (args: string[]) => new Promise<{ code: number | null; stdout: string }>((resolve) => {
      execFile(process.execPath, ["--import", "tsx", "server/app/serve.ts", ...args], { cwd: fileURLToPath(new URL("../../../", import.meta.url)) }, (error, stdout) => resolve({ code: error ? (error.code as number) : 0, stdout }));
    });
    const help = await run(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--public-url <url>");
    expect((await run(["--no-such-option"])).code).toBe(1);
  }, 30_000);

  it("refuses an unknown log format before starting", async () => {
    const dir = await mkdtemp(join(tmpdir(), "planroom-serve-logs-"));
    await expect(startChildServer(["--port", "0", "--data", join(dir, "data"), "--log-format", "xml"])).rejects.toThrow(/logFormat/);
    await rm(dir, { recursive: true, force: true });
  }, 30_000);
});
