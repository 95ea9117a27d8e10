/**
 * The dashboard's entry point: signs in with a token, connects through the client SDK, shows who
 * you are and the connection status, and routes between the plans list and plan rooms.
 */
import type { Role } from "../../shared/index.js";
import { connect, type ConnectionState, type PlanroomClient, type Principal, type WatchHandle } from "../index.js";
import { h, replaceChildren } from "./element.js";
import { PlanRoomView } from "./plan-room-view.js";
import { PlansListView } from "./plans-list.js";
import { watchRoute, type Route } from "./router.js";
import { forgetToken, hasLinkToken, signInView, storeToken, takeToken } from "./sign-in.js";

const CONNECTION_TEXT: Record<ConnectionState, string> = {
  connecting: "Connecting…",
  connected: "Live",
  reconnecting: "Reconnecting…",
  disconnected: "Offline",
};

/** One signed-in session: the client, the shell, and the view on screen. */
class Dashboard {
  readonly #client: PlanroomClient;
  readonly #principal: Principal;
  /** The roles whose principals may vote on this server (from `session:whoami`). */
  readonly #voterRoles: readonly Role[];
  readonly #main = h("main", { id: "main", tabindex: "-1" });
  readonly #status = h("span", { class: "connection", role: "status", "aria-live": "polite" });
  #view: { element: HTMLElement; close(): void } | undefined;
  #watch: Promise<WatchHandle> | undefined;
  #routeToken = 0;
  #stopRoutes: (() => void) | undefined;

  constructor(root: HTMLElement, client: PlanroomClient, principal: Principal, voterRoles: readonly Role[], onSignOut: () => void) {
    this.#client = client;
    this.#principal = principal;
    this.#voterRoles = voterRoles;
    const header = h(
      "header",
      { class: "topbar" },
      h("a", { href: "#/", class: "brand" }, h("span", { class: "brand-mark", "aria-hidden": "true", text: "◆" }), "Planroom"),
      this.#status,
      h(
        "div",
        { class: "whoami", "data-principal": principal.id },
        h("span", { class: "whoami-name", text: principal.name }),
        ...principal.roles.map((r) => h("span", { class: "role", text: r })),
        h("button", { type: "button", class: "button ghost", on: { click: onSignOut }, text: "Sign out" }),
      ),
    );
    replaceChildren(root, h("a", { href: "#main", class: "skip-link", text: "Skip to content" }), header, this.#main);
    this.#showConnection(client.connectionState);
    client.on("connection", (state) => this.#showConnection(state));
    this.#stopRoutes = watchRoute((route) => void this.#show(route));
  }

  /** Tears the session down. */
  close(): void {
    this.#stopRoutes?.();
    this.#view?.close();
    this.#client.close();
  }

  #showConnection(state: ConnectionState): void {
    this.#status.textContent = CONNECTION_TEXT[state];
    this.#status.className = `connection connection-${state}`;
    this.#status.dataset.state = state;
  }

  async #show(route: Route): Promise<void> {
    const token = ++this.#routeToken;
    this.#view?.close();
    this.#view = undefined;
    replaceChildren(this.#main, h("p", { class: "loading muted", text: "Loading…" }));
    try {
      const view = route.name === "plan" ? await this.#openRoom(route.planId) : await this.#openList();
      if (token !== this.#routeToken) {
        view.close();
        return;
      }
      this.#view = view;
      replaceChildren(this.#main, view.element);
      if (route.name === "plans") document.title = "Plans · Planroom";
    } catch (error) {
      if (token !== this.#routeToken) return;
      const message = error instanceof Error ? error.message : String(error);
      replaceChildren(
        this.#main,
        h("section", { class: "card notice", role: "alert" }, h("h1", { text: route.name === "plan" ? "This plan cannot be opened" : "The plans cannot be listed" }), h("p", { text: message }), h("a", { href: "#/", class: "button", text: "Back to all plans" })),
      );
    }
  }

  async #openRoom(planId: string): Promise<{ element: HTMLElement; close(): void }> {
    return PlanRoomView.open(this.#client, this.#principal, this.#voterRoles, planId);
  }

  async #openList(): Promise<{ element: HTMLElement; close(): void }> {
    this.#watch ??= this.#client.watch();
    let watch: WatchHandle;
    try {
      watch = await this.#watch;
    } catch (error) {
      this.#watch = undefined;
      throw error;
    }
    const list = new PlansListView(watch);
    const ticker = setInterval(() => list.render(), 5_000);
    return {
      element: list.element,
      close: () => {
        clearInterval(ticker);
        list.close();
      },
    };
  }
}

/** Signs in with `token`; on failure shows the sign-in form with the reason. */
async function start(root: HTMLElement, token: string): Promise<void> {
  replaceChildren(root, h("p", { class: "loading muted", text: "Signing in…" }));
  // WebSocket from the start: no long-polling handshake and upgrade, one connection per tab.
  const client = connect(window.location.origin, { token, socketOptions: { transports: ["websocket"] } });
  let principal: Principal;
  let voterRoles: readonly Role[];
  try {
    // Who we are, and who may vote here: the approval panel explains a refusal before any click.
    ({ principal, voterRoles } = await client.command("session:whoami", {}));
  } catch (error) {
    client.close();
    forgetToken();
    const reason = error instanceof Error && "code" in error && error.code === "UNAUTHENTICATED" ? "That token was not accepted." : `Could not sign in: ${error instanceof Error ? error.message : String(error)}`;
    showSignIn(root, reason);
    return;
  }
  const dashboard = new Dashboard(root, client, principal, voterRoles, () => {
    dashboard.close();
    forgetToken();
    showSignIn(root);
  });
}

function showSignIn(root: HTMLElement, error?: string): void {
  document.title = "Sign in · Planroom";
  replaceChildren(
    root,
    h(
      "main",
      { class: "sign-in-page" },
      signInView({
        error,
        onSubmit: (token) => {
          storeToken(token);
          void start(root, token);
        },
      }),
    ),
  );
}

const root = document.getElementById("app");
if (root) {
  // A review link opened in a tab already on the dashboard changes only the fragment (no page
  // load): start again, so that its token is taken and the address bar cleared.
  window.addEventListener("hashchange", () => {
    if (hasLinkToken(window.location.href)) window.location.reload();
  });
  const token = takeToken(window);
  if (token) void start(root, token);
  else showSignIn(root);
}
