/** Where a review link leads: the server, optionally a plan, optionally the reader's token. */
export interface ReviewLinkOptions {
  /** The server's URL, as clients reach it (`http://host:port`); a trailing slash is fine. */
  serverUrl: string;
  /** The plan to open; without it the link opens the dashboard's list of plans. */
  planId?: string | undefined;
  /** The reader's bearer token; without it the dashboard asks the reader to sign in. */
  token?: string | undefined;
}

/**
 * The dashboard link of a plan: `${serverUrl}/#/plans/<planId>?token=<token>` (the server serves
 * the dashboard at `/`). The token rides in the fragment, which browsers never send to a server,
 * so it stays out of proxy and access logs; the dashboard takes it and clears the address bar.
 * Without a plan the route is `#/`; without a token there is no `?token=`. An options object, so
 * that a token can never land where the plan id goes.
 *
 * @example
 * ```ts
 * reviewLink({ serverUrl: "http://planroom.lan:8080", planId: "Xy12", token: "rev-1-token" });
 * // → "http://planroom.lan:8080/#/plans/Xy12?token=rev-1-token"
 * ```
 */
export function reviewLink(options: ReviewLinkOptions): string {
  const base = options.serverUrl.replace(/\/+$/, "");
  const route = options.planId ? `/plans/${encodeURIComponent(options.planId)}` : "/";
  const token = options.token ? `?token=${encodeURIComponent(options.token)}` : "";
  if (!options.planId && !token) return `${base}/`;
  return `${base}/#${route}${token}`;
}
