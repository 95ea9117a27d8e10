/**
 * Sign-in with a token. The token lives in the session storage; a `?token=` in a link is taken
 * once, stored, and removed from the address bar so that it is not bookmarked or shared.
 */
import { h } from "./element.js";

/** The session-storage key of the token. */
export const TOKEN_KEY = "planroom.token";

/** Splits a `?token=` off a URL: the token (if any) and the URL without it (hash kept). */
export function extractToken(href: string): { token: string | undefined; cleanUrl: string } {
  const url = new URL(href);
  const token = url.searchParams.get("token")?.trim() || undefined;
  url.searchParams.delete("token");
  return { token, cleanUrl: `${url.pathname}${url.search}${url.hash}` };
}

/** What {@link takeToken} needs of the browser (injectable for tests). */
export interface TokenHost {
  location: { href: string };
  history: { replaceState(data: unknown, unused: string, url: string): void };
  sessionStorage: Pick<Storage, "getItem" | "setItem">;
}

/** Takes a token from the address bar into the session storage (once), then returns the stored token. */
export function takeToken(host: TokenHost): string | undefined {
  const { token, cleanUrl } = extractToken(host.location.href);
  if (token !== undefined) {
    host.sessionStorage.setItem(TOKEN_KEY, token);
    host.history.replaceState(null, "", cleanUrl);
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
