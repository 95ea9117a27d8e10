import { networkInterfaces, type NetworkInterfaceInfo } from "node:os";

const WILDCARD_HOSTS = new Set(["0.0.0.0", "[::]"]);

/**
 * The base of the links the server prints (`…/#/?token=…`): `publicUrl` when configured (the
 * address behind a proxy or a DNS name); else the server's own URL, except that a wildcard
 * listen address (`0.0.0.0`, `::`), which no browser should be sent to, becomes this machine's
 * first external IPv4 address (IPv6 when it has none, 127.0.0.1 when it has neither), so that a
 * teammate on the network can open the link.
 *
 * @example
 * linkBase("http://0.0.0.0:8080") // "http://192.168.1.20:8080" on a machine with that address
 */
export function linkBase(serverUrl: string, publicUrl?: string, interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces()): string {
  if (publicUrl !== undefined) return publicUrl.replace(/\/+$/, "");
  const url = new URL(serverUrl);
  if (!WILDCARD_HOSTS.has(url.hostname)) return serverUrl;
  const external = Object.values(interfaces)
    .flatMap((list) => list ?? [])
    .filter((i) => !i.internal);
  const v4 = external.find((i) => i.family === "IPv4");
  const v6 = external.find((i) => i.family === "IPv6" && !i.address.startsWith("fe80:"));
  url.hostname = v4 ? v4.address : v6 ? `[${v6.address}]` : "127.0.0.1";
  return url.origin;
}
