/**
 * The dashboard link of a plan: `${serverUrl}/?token=<token>#/plans/<planId>` (the server serves
 * the dashboard at `/`). Without a token the dashboard asks the reader to sign in.
 */
export function reviewLink(serverUrl: string, planId: string, token?: string): string {
  const base = serverUrl.replace(/\/+$/, "");
  const query = token ? `?token=${encodeURIComponent(token)}` : "";
  return `${base}/${query}#/plans/${encodeURIComponent(planId)}`;
}
