import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";

/** What a {@link RateBudget} answers: go on, or wait `retryAfterMs` (at least 1). */
export type RateVerdict = { readonly ok: true } | { readonly ok: false; readonly retryAfterMs: number };

/**
 * Request budgets by key, the one seam of the server's rate limits: the sockets' commands and
 * handshakes and the HTTP API all consume from it. Keys are `principal:<id>` (everything an
 * authenticated principal does, over any number of sockets and HTTP) and `address:<key>` (what
 * comes before authentication, by client address; see {@link addressBudgetKey}). The memory
 * implementation ({@link memoryRateBudget}) counts in this process; a shared backend (several
 * servers behind one load balancer) implements the same interface.
 */
export interface RateBudget {
  /** Takes one unit of `key`'s budget. Rejects only when the backend fails (not when the budget is spent). */
  consume(key: string): Promise<RateVerdict>;
}

/** The budgets of a server: per principal (`rateLimit`) and per address before authentication (`handshakeLimit`). */
export interface RateBudgets {
  principals: RateBudget;
  addresses: RateBudget;
}

/** A budget's settings: `burst` at once, and `perSecond` on average. */
export interface RateLimitSettings {
  burst: number;
  perSecond: number;
}

/** The key of a principal's budget. */
export function principalBudgetKey(principalId: string): string {
  return `principal:${principalId}`;
}

/** The key of an address's budget (`address` as `addressKey` of the auth-failure limit gives it: IPv6 per /64). */
export function addressBudgetKey(address: string): string {
  return `address:${address}`;
}

/** The one answer of every consume that goes through: shared, so the hot path allocates none. */
const GO_ON: RateVerdict = Object.freeze({ ok: true });

/**
 * A {@link RateBudget} over a rate-limiter-flexible limiter (memory now; the shared backends have
 * the same `consume`). Its refusal (a rejected `RateLimiterRes`) becomes `{ ok: false, retryAfterMs }`;
 * any other rejection is the backend failing and is passed on.
 */
export function limiterRateBudget(limiter: Pick<RateLimiterAbstract, "consume">): RateBudget {
  const refused = (error: unknown): RateVerdict => {
    if (error instanceof RateLimiterRes) return { ok: false, retryAfterMs: Math.max(1, Math.ceil(error.msBeforeNext)) };
    throw error;
  };
  const granted = (): RateVerdict => GO_ON;
  return { consume: (key) => limiter.consume(key).then(granted, refused) };
}

/**
 * A {@link RateBudget} in this process's memory (rate-limiter-flexible's `RateLimiterMemory`): fixed
 * windows of `burst / perSecond` seconds, `burst` units each, so a key may spend its whole burst at
 * once and then waits for its window to end. A key's record goes with its window. Each budget has
 * a table of its own, so its keys need no prefix (none: no string built per request).
 */
export function memoryRateBudget(settings: RateLimitSettings): RateBudget {
  return limiterRateBudget(new RateLimiterMemory({ points: settings.burst, duration: settings.burst / settings.perSecond, keyPrefix: "" }));
}

/** "try again in 340 ms" / "try again in 3 s": how long a refusal says to wait. */
export function retryText(retryAfterMs: number): string {
  return retryAfterMs < 1_000 ? `try again in ${Math.max(1, Math.ceil(retryAfterMs))} ms` : `try again in ${Math.ceil(retryAfterMs / 1_000)} s`;
}
