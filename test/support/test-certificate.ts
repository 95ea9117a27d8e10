/**
 * A self-signed certificate for the TLS tests (made with `selfsigned`, once per test file), its PEM
 * files in a temporary folder, and an HTTPS GET that trusts it.
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { request } from "node:https";
import type { IncomingHttpHeaders } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generate } from "selfsigned";

/** A certificate for `localhost`, `planroom.test` and 127.0.0.1, with the paths of its PEM files. */
export interface TestCertificate {
  cert: string;
  key: string;
  certFile: string;
  keyFile: string;
}

/** Generates a fresh self-signed certificate and writes `cert.pem` and `key.pem` into a new temporary folder. */
export async function makeTestCertificate(): Promise<TestCertificate> {
  const pems = await generate([{ name: "commonName", value: "planroom.test" }], {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    extensions: [
      { name: "basicConstraints", cA: true },
      {
        name: "subjectAltName",
        altNames: [
          { type: 2, value: "localhost" },
          { type: 2, value: "planroom.test" },
          { type: 7, ip: "127.0.0.1" },
        ],
      },
    ],
  });
  const dir = await mkdtemp(join(tmpdir(), "planroom-tls-"));
  const certFile = join(dir, "cert.pem");
  const keyFile = join(dir, "key.pem");
  await writeFile(certFile, pems.cert);
  await writeFile(keyFile, pems.private);
  return { cert: pems.cert, key: pems.private, certFile, keyFile };
}

/** A GET over HTTPS that trusts `ca`: the status, the headers and the body as text. */
export function httpsGet(url: string, ca: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, headers, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}
