import { isIPv4, isIPv6 } from "node:net";

/** Settings of {@link AuthFailureLimiter} (`authFailureLimit` in the configuration). */
export interface AuthFailureLimitConfig {
  /** Failed authentications one address may have in a row before it is refused. */
  burst: number;
  /** How many more it regains per minute (the sustained rate it may fail at). */
  perMinute: number;
  /** The most addresses remembered; past it, the one that failed longest ago is forgotten. */
  maxAddresses: number;
}

interface Bucket {
  /** Failures the address may still have (fractional: it refills continuously). */
  left: number;
  /** When `left` was last computed. */
  at: number;
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
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;

  constructor(
    private readonly config: AuthFailureLimitConfig,
    private readonly now: () => number = Date.now,
  ) {
    this.perMs = config.perMinute / 60_000;
  }

  /** How many addresses are remembered. */
  get size(): number {
    return this.buckets.size;
  }

  /** How long (ms, rounded up) until `address` may try again; 0 when it is not blocked. */
  retryAfterMs(address: string): number {
    const bucket = this.refilled(address);
    if (!bucket || bucket.left >= 1) return 0;
    return Math.max(1, Math.ceil((1 - bucket.left) / this.perMs));
  }

  /** Records a failed authentication from `address`. */
  fail(address: string): void {
    const bucket = this.refilled(address) ?? { left: this.config.burst, at: this.now() };
    bucket.left = Math.max(0, bucket.left - 1);
    // Re-inserted, so the map's order is the order of last failures (the oldest is evicted first).
    this.buckets.delete(address);
    this.buckets.set(address, bucket);
    while (this.buckets.size > this.config.maxAddresses) {
      const oldest = this.buckets.keys().next().value as string;
      this.buckets.delete(oldest);
    }
  }

  /** The bucket of an address brought up to now; a full one is dropped (and undefined returned). */
  private refilled(address: string): Bucket | undefined {
    const bucket = this.buckets.get(address);
    if (!bucket) return undefined;
    const t = this.now();
    bucket.left = Math.min(this.config.burst, bucket.left + Math.max(0, t - bucket.at) * this.perMs);
    bucket.at = t;
    if (bucket.left >= this.config.burst) {
      this.buckets.delete(address);
      return undefined;
    }
    return bucket;
  }
}
