import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { connect, type PlanroomClient } from "../../../../client/index.js";
import { loadConfig } from "../../../../server/app/config.js";
import { startChildServer } from "../../../support/child-server.js";
import { startRealServer, useRealServers } from "../../../support/real-server.js";
import { httpsGet, makeTestCertificate, type TestCertificate } from "../../../support/test-certificate.js";
import { TOKENS } from "../../../support/test-principals.js";

const real = useRealServers();
let certificate: TestCertificate;
beforeAll(async () => {
  certificate = await makeTestCertificate();
});

const clients: PlanroomClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

/** An SDK client over wss that trusts the test certificate. */
function secureClient(url: string, token: string): PlanroomClient {
  const c = connect(url, { token, socketOptions: { ca: certificate.cert } });
  clients.push(c);
  return c;
}

describe("HTTPS and WSS on the server's port (tls)", () => {
  it("serves /healthz over https and the SDK over wss, and its URL says https", async () => {
    const server = await real.server({ tls: { certFile: certificate.certFile, keyFile: certificate.keyFile } });
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const health = await httpsGet(`${server.url}/healthz`, certificate.cert);
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ ok: true, node: server.nodeId, plans: 0 });

    // The SDK's default transport is WebSocket only: this runs over wss.
    const agent = secureClient(server.url, TOKENS.agent);
    const handle = await agent.submit({ description: "over wss", steps: [{ id: "e", tool: "echo", params: { said: "hello" } }] }, { autoExecute: true });
    await (await secureClient(server.url, TOKENS.reviewer1).join(handle.planId)).approve();
    const final = await handle.done();
    expect(final.status).toBe("completed");
    expect(final.steps[0]?.result).toEqual({ said: "hello" });
  });

  it("sends HSTS and upgrade-insecure-requests over https, and neither over plain http", async () => {
    const secure = await real.server({ tls: { certFile: certificate.certFile, keyFile: certificate.keyFile } });
    const overTls = await httpsGet(`${secure.url}/healthz`, certificate.cert);
    expect(overTls.headers["strict-transport-security"]).toMatch(/max-age=\d+/);
    expect(overTls.headers["content-security-policy"]).toContain("upgrade-insecure-requests");
    expect(overTls.headers["content-security-policy"]).toContain("script-src 'self'");

    const plain = await real.server();
    const overHttp = await fetch(`${plain.url}/healthz`, { headers: { host: "planroom.test" } });
    expect(overHttp.headers.get("strict-transport-security")).toBeNull();
    const csp = overHttp.headers.get("content-security-policy") ?? "";
    expect(csp).not.toContain("upgrade-insecure-requests");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self' ws: wss:");
  });

  it("refuses to start with a missing, unreadable, non-PEM or mismatched certificate, naming the file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "planroom-badtls-"));
    const missing = join(dir, "missing.pem");
    const garbage = join(dir, "garbage.pem");
    await writeFile(garbage, "not a certificate\n");
    const other = await makeTestCertificate();
    const start = (tls: { certFile: string; keyFile: string }) => startRealServer({ tls }).then((s) => s.cleanup().then(() => "started"), (e: Error) => e.message);

    expect(await start({ certFile: missing, keyFile: certificate.keyFile })).toMatch(new RegExp(`^cannot read the TLS certificate file ${missing}: ENOENT`));
    expect(await start({ certFile: certificate.certFile, keyFile: missing })).toMatch(new RegExp(`^cannot read the TLS key file ${missing}`));
    expect(await start({ certFile: garbage, keyFile: certificate.keyFile })).toContain(`the TLS certificate file ${garbage} holds no usable PEM certificate`);
    expect(await start({ certFile: certificate.certFile, keyFile: garbage })).toContain(`the TLS key file ${garbage} holds no usable PEM private key`);
    expect(await start({ certFile: certificate.certFile, keyFile: other.keyFile })).toContain(`the TLS key file ${other.keyFile} does not match the certificate file ${certificate.certFile}`);
  });
});

describe("planroom serve --tls-cert --tls-key", () => {
  it("prints an https URL and https review links, and stops with the file's name for a bad certificate", { timeout: 60_000 }, async () => {
    const data = await mkdtemp(join(tmpdir(), "planroom-tlsserve-"));
    const child = await startChildServer(["--port", "0", "--data", data, "--tls-cert", certificate.certFile, "--tls-key", certificate.keyFile]);
    try {
      expect(child.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      await expect.poll(() => child.output()).toContain(`${child.url}/#/?token=`);
      expect(child.output()).not.toContain("http://");
      expect((await httpsGet(`${child.url}/readyz`, certificate.cert)).status).toBe(200);
    } finally {
      await child.kill("SIGTERM");
    }
    const missing = join(data, "nope.pem");
    const failed = await startChildServer(["--port", "0", "--data", data, "--tls-cert", missing, "--tls-key", certificate.keyFile]).then(
      async (c) => {
        await c.kill("SIGKILL");
        return "started";
      },
      (e: Error) => e.message,
    );
    expect(failed).toContain(`planroom: cannot read the TLS certificate file ${missing}`);
  });
});

describe("tls in the configuration", () => {
  it("resolves the file's paths against its folder, and the flags' and environment's against the working directory", async () => {
    const dir = await mkdtemp(join(tmpdir(), "planroom-tlsconf-"));
    await writeFile(join(dir, "planroom.json"), JSON.stringify({ tls: { certFile: "certs/cert.pem", keyFile: "certs/key.pem" } }));
    const fromFile = await loadConfig({ flags: { config: join(dir, "planroom.json") }, cwd: "/" });
    expect(fromFile.tls).toEqual({ certFile: join(dir, "certs/cert.pem"), keyFile: join(dir, "certs/key.pem") });

    const fromEnv = await loadConfig({ env: { PLANROOM_TLS_CERT: "c.pem", PLANROOM_TLS_KEY: "k.pem" }, cwd: dir });
    expect(fromEnv.tls).toEqual({ certFile: join(dir, "c.pem"), keyFile: join(dir, "k.pem") });
    const fromFlags = await loadConfig({ env: { PLANROOM_TLS_CERT: "c.pem", PLANROOM_TLS_KEY: "k.pem" }, flags: { tlsCert: "f.pem", tlsKey: "g.pem" }, cwd: dir });
    expect(fromFlags.tls).toEqual({ certFile: join(dir, "f.pem"), keyFile: join(dir, "g.pem") });
    expect((await loadConfig({ cwd: dir })).tls).toBeUndefined();
  });

  it("refuses a certificate without its key, and an unknown key in tls", async () => {
    await expect(loadConfig({ flags: { tlsCert: "c.pem" } })).rejects.toThrow(/tls\.keyFile: tls needs keyFile, the PEM private key \(--tls-key, PLANROOM_TLS_KEY\)/);
    await expect(loadConfig({ env: { PLANROOM_TLS_KEY: "k.pem" } })).rejects.toThrow(/tls\.certFile: tls needs certFile/);
    const dir = await mkdtemp(join(tmpdir(), "planroom-tlsconf-"));
    await writeFile(join(dir, "planroom.json"), JSON.stringify({ tls: { certFile: "c.pem", keyFile: "k.pem", caFile: "ca.pem" } }));
    await expect(loadConfig({ flags: { config: join(dir, "planroom.json") } })).rejects.toThrow(/caFile/);
  });
});
