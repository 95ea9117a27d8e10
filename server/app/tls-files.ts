import { readFile } from "node:fs/promises";
import { createSecureContext } from "node:tls";
import { PlanroomError } from "../../shared/index.js";

/** The PEM files of `tls` in the configuration. */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

/**
 * Reads and checks the certificate and key the server serves HTTPS with. A file that cannot be
 * read, is not PEM, or a key that does not belong to the certificate stops start-up with a
 * `VALIDATION` error naming the file.
 */
export async function loadTlsFiles(files: TlsFiles): Promise<{ cert: Buffer; key: Buffer }> {
  const read = async (path: string, what: string): Promise<Buffer> => {
    try {
      return await readFile(path);
    } catch (error) {
      throw new PlanroomError("VALIDATION", `cannot read the TLS ${what} file ${path}: ${(error as Error).message}`);
    }
  };
  const cert = await read(files.certFile, "certificate");
  const key = await read(files.keyFile, "key");
  const attempt = (options: { cert?: Buffer; key?: Buffer }, message: string): void => {
    try {
      createSecureContext(options);
    } catch (error) {
      throw new PlanroomError("VALIDATION", `${message}: ${(error as Error).message}`);
    }
  };
  attempt({ cert }, `the TLS certificate file ${files.certFile} holds no usable PEM certificate`);
  attempt({ key }, `the TLS key file ${files.keyFile} holds no usable PEM private key`);
  attempt({ cert, key }, `the TLS key file ${files.keyFile} does not match the certificate file ${files.certFile}`);
  return { cert, key };
}
