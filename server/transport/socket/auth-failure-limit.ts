import { isIPv4, isIPv6 } from "node:net";
import { RateLimiter } from "./rate-limit.js";

/** Settings of {@link AuthFailureLimiter} (`authFailureLimit` in the configuration). */
export interface AuthFailureLimitConfig {
  /** Failed authentications one address may have in a row before it is refused. */
  burst: number;
  /** How many more it regains per minute (the sustained rate it may fail at). */
  perMinute: number;
  /** The most addresses remembered; past it, the one that failed longest ago is forgotten. */
  maxAddresses: number;
}

/**
 * The key an address is counted under: an IPv4 address as it is (also when written IPv4-mapped,
 * `::ffff:a.b.c.d`), an IPv6 address by its /64 prefix (one host usually holds a whole /64, so
 * counting single IPv6 addresses would give it billions of fresh budgets).
 */
export function addressKey(remoteAddress: string | undefined): string {
  if (remoteAddress === undefined || remoteAddress === "") return "unknown";
  const address = remoteAddress.split("%")[0] as string;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1] as string;
  if (isIPv4(address) || !isIPv6(address)) return address;
  const [head = "", tail] = address.toLowerCase().split("::");
  const front = head === "" ? [] : head.split(":");
  const back = tail === undefined || tail === "" ? [] : tail.split(":");
  // A dotted IPv4 tail (`64:ff9b::1.2.3.4`) stands for two groups.
  const width = (gs: string[]): number => gs.reduce((n, g) => n + (g.includes(".") ? 2 : 1), 0);
  const groups = tail === undefined ? front : [...front, ...Array<string>(Math.max(0, 8 - width(front) - width(back))).fill("0"), ...back];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, "")).join(":")}::/64`;
}

/**
 * Counts failed authentications per address with a token bucket: an address may fail `burst`
 * times at once and `perMinute` times a minute after that; while its bucket is empty it is
 * blocked. Only failures are counted, so an address that authenticates is never slowed down by
 * its own successes. The table is bounded: an address whose bucket has refilled is dropped, and
 * past `maxAddresses` the address that failed longest ago is forgotten.
 */
export class AuthFailureLimiter {
  /** The bucket of each address that failed lately, in the order of their last failures. */
  private readonly buckets = new Map<string, RateLimiter>();

  constructor(
    private readonly config: AuthFailureLimitConfig,
    private readonly now: () => number = Date.now,
  ) {}

  /** How many addresses are remembered. */
  get size(): number {
    return this.buckets.size;
  }

  /** How long (ms, rounded up) until `address` may try again; 0 when it is not blocked. */
  retryAfterMs(address: string): number {
    return this.current(address)?.retryAfterMs() ?? 0;
  }

  /** Records a failed authentication from `address`. */
  fail(address: string): void {
    const bucket = this.current(address) ?? new RateLimiter(this.config.burst, this.config.perMinute / 60, this.now);
    bucket.take();
    // Re-inserted, so the map's order is the order of last failures (the oldest is evicted first).
    this.buckets.delete(address);
    this.buckets.set(address, bucket);
    while (this.buckets.size > this.config.maxAddresses) {
      const oldest = this.buckets.keys().next().value as string;
      this.buckets.delete(oldest);
    }
  }

  /** The bucket of an address; one that has refilled is dropped (and undefined returned). */
  private current(address: string): RateLimiter | undefined {
    const bucket = this.buckets.get(address);
    if (bucket?.full !== true) return bucket;
    this.buckets.delete(address);
    return undefined;
  }
}
