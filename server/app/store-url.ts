import { PlanroomError } from "../../shared/index.js";

/** The schemes a store URL may have: both spellings PostgreSQL's own clients accept. */
const SCHEMES = ["postgres:", "postgresql:"];

/** What a store URL must look like, for messages that refuse one. */
export const STORE_URL_EXPECTED = "a PostgreSQL URL, postgres://user@host:5432/database (or postgresql://…)";

/** The URL, parsed, or undefined when it is not a usable PostgreSQL URL (`postgres:/x`, `mysql://…`, a bare word). */
function parsed(text: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (!SCHEMES.includes(url.protocol) || !text.startsWith(`${url.protocol}//`)) return undefined;
  // A socket directory may stand in for the host: postgres:///db?host=/var/run/postgresql
  if (url.hostname === "" && !url.searchParams.has("host")) return undefined;
  return url;
}

/** Whether `text` is a PostgreSQL connection URL a node can run on. */
export function isStoreUrl(text: string): boolean {
  return parsed(text) !== undefined;
}

/**
 * `text` as it may be printed: the password replaced by `***` and the port written out
 * (`postgres://planroom:***@db.internal:5432/planroom`). Something that is not a URL is shown only
 * when it cannot hold a password (no `@`).
 */
export function maskStoreUrl(text: string): string {
  const notUrl = text.includes("@") ? "(a value that is not a URL)" : text;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return notUrl;
  }
  // `user:secret@host` parses as the scheme `user:` with an opaque path: no parts to mask.
  if (!text.startsWith(`${url.protocol}//`)) return notUrl;
  const port = url.port === "" && url.hostname !== "" && SCHEMES.includes(url.protocol) ? ":5432" : url.port === "" ? "" : `:${url.port}`;
  const user = url.username === "" ? "" : `${url.username}${url.password === "" ? "" : ":***"}@`;
  return `${url.protocol}//${user}${url.hostname}${port}${url.pathname}${url.search}`;
}

/** The store's host and port as `host:port`, for messages about reaching it. */
export function storeHost(text: string): string {
  const url = parsed(text);
  if (!url) return "(unknown host)";
  if (url.hostname === "") return url.searchParams.get("host") ?? "(unknown host)";
  return `${url.hostname}:${url.port === "" ? "5432" : url.port}`;
}

/** Returns `text` when it is a PostgreSQL URL; else a `VALIDATION` error saying what was expected (never echoing a password). */
export function checkStoreUrl(text: string, origin = "store"): string {
  if (isStoreUrl(text)) return text;
  throw new PlanroomError("VALIDATION", `${origin} ${JSON.stringify(maskStoreUrl(text))} is not ${STORE_URL_EXPECTED}`);
}
