/**
 * Sign-in with a token. The token lives in the session storage. A review link carries it in the
 * fragment (`#/plans/<id>?token=…`), which never reaches a server; it is taken once, stored, and
 * removed from the address bar (without a history entry) so that it is not bookmarked or shared.
 * The old form `/?token=…#/plans/<id>` is still accepted and cleared the same way.
 */
import { h } from "./element.js";

/** The session-storage key of the token. */
export const TOKEN_KEY = "planroom.token";

/** The `token` parameter of `params`, trimmed; undefined when absent or blank. */
function tokenParam(params: URLSearchParams): string | undefined {
  return params.get("token")?.trim() || undefined;
}

/**
 * Splits a token off a dashboard URL: from the fragment's query (`#/plans/p1?token=…`, what
 * review links carry) or from the old form's query string (`/?token=…#/plans/p1`); the fragment's
 * wins when both hold one. Returns the token (if any) and the URL without any token (path, other
 * query parameters and route kept).
 */
export function extractToken(href: string): { token: string | undefined; cleanUrl: string } {
  const url = new URL(href);
  const queryToken = tokenParam(url.searchParams);
  if (url.searchParams.has("token")) url.searchParams.delete("token");
  let hash = url.hash;
  const mark = hash.indexOf("?");
  let hashToken: string | undefined;
  if (mark !== -1) {
    const params = new URLSearchParams(hash.slice(mark + 1));
    if (params.has("token")) {
      hashToken = tokenParam(params);
      params.delete("token");
      const rest = params.toString();
      hash = `${hash.slice(0, mark)}${rest ? `?${rest}` : ""}`;
    }
  }
  return { token: hashToken ?? queryToken, cleanUrl: `${url.pathname}${url.search}${hash}` };
}

/** Whether `href` carries a token for the dashboard to take (a review link opened in a tab already on the dashboard). */
export function hasLinkToken(href: string): boolean {
  return extractToken(href).token !== undefined;
}

/** What {@link takeToken} needs of the browser (injectable for tests). */
export interface TokenHost {
  location: { href: string };
  history: { replaceState(data: unknown, unused: string, url: string): void };
  sessionStorage: Pick<Storage, "getItem" | "setItem">;
}

function relativeHref(href: string): string {
  const url = new URL(href);
  return `${url.pathname}${url.search}${url.hash}`;
}

/** Takes a token from the address bar into the session storage (once), then returns the stored token. */
export function takeToken(host: TokenHost): string | undefined {
  const { token, cleanUrl } = extractToken(host.location.href);
  if (cleanUrl !== relativeHref(host.location.href)) host.history.replaceState(null, "", cleanUrl);
  if (token !== undefined) {
    host.sessionStorage.setItem(TOKEN_KEY, token);
  }
  return host.sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

/** Forgets the stored token. */
export function forgetToken(storage: Pick<Storage, "removeItem"> = window.sessionStorage): void {
  storage.removeItem(TOKEN_KEY);
}

/** Stores a token typed into the sign-in form. */
export function storeToken(token: string, storage: Pick<Storage, "setItem"> = window.sessionStorage): void {
  storage.setItem(TOKEN_KEY, token);
}

/** The sign-in form; `error` explains why the last attempt failed. */
export function signInView(options: { error?: string | undefined; onSubmit: (token: string) => void }): HTMLElement {
  const input = h("input", { id: "token", name: "token", type: "password", autocomplete: "current-password", required: true, "aria-describedby": "token-help" });
  const error = options.error ? h("p", { class: "form-error", role: "alert", id: "sign-in-error", text: options.error }) : null;
  if (error) input.setAttribute("aria-invalid", "true");
  const form = h(
    "form",
    {
      class: "sign-in card",
      "aria-labelledby": "sign-in-title",
      on: {
        submit: (event) => {
          event.preventDefault();
          const token = input.value.trim();
          if (token) options.onSubmit(token);
        },
      },
    },
    h("h1", { id: "sign-in-title", text: "Sign in to Planroom" }),
    h("p", { class: "muted", id: "token-help", text: "Paste the access token you were given. It is kept only for this browser tab." }),
    h("label", { for: "token", text: "Access token" }),
    input,
    error,
    h("button", { type: "submit", class: "button primary", text: "Sign in" }),
  );
  queueMicrotask(() => input.focus());
  return form;
}
