/**
 * A token bucket: `burst` tokens at once, refilled at `perSecond`. One per address for failed
 * authentications (see `AuthFailureLimiter`); request rates go through `RateBudget` instead.
 */
export class RateLimiter {
  private tokens: number;
  private last: number;

  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Takes one token; false when the bucket is empty (the command is refused). */
  take(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** How long (ms, rounded up) until a token is there; 0 when one is. */
  retryAfterMs(): number {
    this.refill();
    if (this.tokens >= 1) return 0;
    return Math.max(1, Math.ceil(((1 - this.tokens) / this.perSecond) * 1_000));
  }

  /** Whether the bucket has refilled completely (nothing taken is still counted). */
  get full(): boolean {
    this.refill();
    return this.tokens >= this.burst;
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1_000) * this.perSecond);
    this.last = t;
  }
}
