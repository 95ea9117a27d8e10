import type { IncomingMessage } from "node:http";
import express from "express";

/** Whether the peer at `address`, `hop` steps from the server (0: the TCP peer), is a trusted proxy. */
export type ProxyTrust = (address: string, hop: number) => boolean;

/**
 * Compiles `trustProxy` (addresses, CIDRs, `loopback`, `linklocal`, `uniquelocal`) with Express's
 * own compiler, so that the HTTP routes (`req.ip`, `req.secure`) and the Socket.IO handshakes
 * believe forwarded headers from exactly the same peers. Empty: nobody is trusted.
 */
export function compileProxyTrust(trustProxy: readonly string[]): ProxyTrust {
  return express().set("trust proxy", [...trustProxy]).get("trust proxy fn") as ProxyTrust;
}

/**
 * The client's address as Express computes `req.ip`: the TCP peer, unless it is a trusted proxy,
 * in which case the address it forwarded (`X-Forwarded-For`, last entry first), and so on while the
 * hops are trusted. Undefined when the socket has no peer address (it was closed).
 */
export function clientAddress(req: IncomingMessage, trust: ProxyTrust): string | undefined {
  const peer = req.socket.remoteAddress;
  if (peer === undefined) return undefined;
  const header = req.headers["x-forwarded-for"];
  const forwarded = (Array.isArray(header) ? header.join(",") : (header ?? ""))
    .split(",")
    .map((a) => a.trim())
    .filter((a) => a !== "")
    .reverse();
  const chain = [peer, ...forwarded];
  let hop = 0;
  while (hop < chain.length - 1 && trust(chain[hop] as string, hop)) hop++;
  return chain[hop];
}
