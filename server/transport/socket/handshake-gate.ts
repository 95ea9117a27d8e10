import type { IncomingMessage } from "node:http";
import { addressKey, type AuthFailureLimiter } from "./auth-failure-limit.js";
import { bearerToken } from "../../auth/bearer-token.js";
import type { HandshakeOrigins } from "./handshake-origin.js";
import type { PrincipalRegistry } from "../../auth/principals.js";
import { noMetrics, type ServerMetrics } from "../../runtime/server-metrics.js";
import { addressBudgetKey, principalBudgetKey, retryText, type RateBudgets } from "../rate-budget.js";

/** What {@link HandshakeGate} checks with. */
export interface HandshakeGateDeps {
  failures: AuthFailureLimiter;
  origins: HandshakeOrigins;
  registry: PrincipalRegistry;
  /**
   * The client's address of a request (see `client-address.ts`: the forwarded one only from trusted
   * proxies); by default the TCP peer's.
   */
  clientAddress?: (req: IncomingMessage) => string | undefined;
  /**
   * The rate budgets a handshake consumes from: its principal's when it carries a valid
   * `Authorization: Bearer` header, else its address's. None: handshakes are not rate-limited.
   */
  budgets?: RateBudgets;
  /** Counts the handshakes refused for a spent budget. */
  metrics?: Pick<ServerMetrics, "rateLimited">;
}

/**
 * The first check of every new Socket.IO connection, run by engine.io (`allowRequest`) on the
 * handshake request before a session is created, and again by the `io.use` middleware:
 *
 * - an address blocked for failed authentications ({@link AuthFailureLimiter}) is refused with
 *   `RATE_LIMITED` before any token work, unless the request carries an
 *   `Authorization: Bearer <token>` header that authenticates (one SHA-256 and a map lookup, like
 *   the middleware's own check; the SDK sends it). That is how a good client sharing an address
 *   with a flood (a NAT, a proxy, a test on 127.0.0.1) still gets in, while the flood is refused
 *   at the cost of parsing its HTTP request. A bad bearer header counts as one more failure;
 * - then the `Origin` header must pass {@link HandshakeOrigins} (`FORBIDDEN` otherwise);
 * - then the handshake takes one unit of a rate budget (`RATE_LIMITED` when it is spent): of its
 *   principal when its bearer header authenticates (so a flood from its address does not lock a
 *   good client out), else of its client's address (`handshakeLimit`).
 *
 * Polling clients see the refusal as HTTP 403 with `{"code":4,"message":"RATE_LIMITED: …"}`;
 * WebSocket clients as HTTP 400 with the message as its body.
 */
export class HandshakeGate {
  private readonly vouched = new WeakSet<IncomingMessage>();

  constructor(private readonly deps: HandshakeGateDeps) {}

  /** Socket.IO's `allowRequest` option. */
  readonly allowRequest = (req: IncomingMessage, callback: (error: string | null | undefined, success: boolean) => void): void => {
    const address = this.addressOf(req);
    const wait = this.deps.failures.retryAfterMs(address);
    const token = bearerToken(req.headers.authorization);
    // Only looked up when it decides something: a blocked address, or whose budget to take from.
    const principal = token !== undefined && (wait > 0 || this.deps.budgets) ? this.deps.registry.authenticate(token) : undefined;
    if (wait > 0) {
      if (token === undefined) return callback(rateLimitedMessage(wait), false);
      if (!principal) {
        this.deps.failures.fail(address);
        return callback(rateLimitedMessage(this.deps.failures.retryAfterMs(address)), false);
      }
      this.vouched.add(req);
    }
    if (!this.deps.origins.allows(req)) return callback("FORBIDDEN: this origin may not open a Socket.IO connection (only the server's own origin and corsOrigins may)", false);
    const budgets = this.deps.budgets;
    if (!budgets) return callback(null, true);
    const consumed = principal ? budgets.principals.consume(principalBudgetKey(principal.id)) : budgets.addresses.consume(addressBudgetKey(address));
    consumed.then(
      (verdict) => {
        if (verdict.ok) return callback(null, true);
        (this.deps.metrics ?? noMetrics).rateLimited();
        const whose = principal ? `requests from ${principal.id} (its commands, handshakes and HTTP requests count together)` : "connection attempts and unauthenticated requests from this address";
        callback(`RATE_LIMITED: too many ${whose}; ${retryText(verdict.retryAfterMs)}`, false);
      },
      () => callback("INTERNAL: the rate limit could not be checked; try again", false),
    );
  };

  /** The key failed authentications of `req` are counted under: its client's address (per /64 for IPv6). */
  addressOf(req: IncomingMessage): string {
    return addressKey(this.deps.clientAddress ? this.deps.clientAddress(req) : req.socket.remoteAddress);
  }

  /**
   * The refusal (`RATE_LIMITED: …`) for a socket whose address is blocked now, unless its
   * handshake request was let through with a valid bearer token; undefined when it may go on.
   * The middleware asks this before looking at `auth.token`, so that sockets opened before the
   * address was blocked cannot go on failing (each costing a hash) either.
   */
  refusal(address: string, handshakeRequest: IncomingMessage): string | undefined {
    const wait = this.deps.failures.retryAfterMs(address);
    if (wait === 0 || this.vouched.has(handshakeRequest)) return undefined;
    return rateLimitedMessage(wait);
  }

  /** Records a failed authentication from `address`. */
  failed(address: string): void {
    this.deps.failures.fail(address);
  }
}

function rateLimitedMessage(waitMs: number): string {
  return `RATE_LIMITED: too many failed authentications from this address; try again in ${Math.max(1, Math.ceil(waitMs / 1_000))} s`;
}
