/** The server URL a client connects to, checked before anything goes on the wire. Pure. */
import { PlanroomError } from "../shared/index.js";

/**
 * Checks that `url` is an `http://` or `https://` URL with a host, and returns it without trailing
 * slashes. Anything else is a `VALIDATION` error with a hint: `localhost:8080` (no scheme) asks
 * for `http://localhost:8080`; `ws://…` and `wss://…` for `http://…` / `https://…` (the client
 * opens the WebSocket itself).
 */
export function checkServerUrl(url: string): string {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url.trim())?.[1]?.toLowerCase();
  const trimmed = url.trim().replace(/\/+$/, "");
  if (scheme === "http" || scheme === "https") {
    let host = "";
    try {
      host = new URL(url.trim()).host;
    } catch {
      // reported below
    }
    if (host !== "") return trimmed;
    throw new PlanroomError("VALIDATION", `server URL "${url}" has no host: write it as http://host:port`);
  }
  if (scheme === "ws" || scheme === "wss") {
    const fixed = `${scheme === "ws" ? "http" : "https"}${trimmed.slice(scheme.length)}`;
    throw new PlanroomError("VALIDATION", `server URL "${url}" must start with http:// or https:// (the client opens the WebSocket itself): did you mean ${fixed}?`);
  }
  if (scheme === undefined) {
    throw new PlanroomError("VALIDATION", `server URL "${url}" must start with http:// or https://: did you mean http://${trimmed}?`);
  }
  throw new PlanroomError("VALIDATION", `server URL "${url}" must start with http:// or https://, not ${scheme}://`);
}
