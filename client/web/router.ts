/**
 * Hash routes of the dashboard: `#/` (plans) and `#/plans/<id>` (a plan room). A route may carry
 * parameters after a `?` (a review link's `?token=…`, which sign-in takes away); they do not
 * change the route.
 */

/** A parsed route. */
export type Route = { name: "plans" } | { name: "plan"; planId: string };

/** Parses a location hash; anything unknown is the plans list. */
export function parseRoute(hash: string): Route {
  const match = /^#?\/plans\/([^/?#]+)\/?(?:\?.*)?$/.exec(hash);
  if (match) {
    try {
      return { name: "plan", planId: decodeURIComponent(match[1]!) };
    } catch {
      return { name: "plans" };
    }
  }
  return { name: "plans" };
}

/** The hash of a route. */
export function routeHash(route: Route): string {
  return route.name === "plan" ? `#/plans/${encodeURIComponent(route.planId)}` : "#/";
}

/** Calls `listener` with the current route now and on every hash change; returns a stop function. */
export function watchRoute(listener: (route: Route) => void): () => void {
  const fire = (): void => listener(parseRoute(window.location.hash));
  window.addEventListener("hashchange", fire);
  fire();
  return () => window.removeEventListener("hashchange", fire);
}
