// Import-direction rules (dependency-cruiser). Module paths are relative to the repository root.
const { builtinModules } = require("node:module");

/** Node's built-in modules, with or without the `node:` prefix. */
const NODE_BUILTINS = `^(node:.+|(${builtinModules.map((name) => name.replace(/[/.]/g, "\\$&")).join("|")}))$`;

/**
 * The server's layers, top first: each may import only the layers after it (and shared/).
 * server/index.ts, the library entry, sits above them all and may import any of them.
 */
const SERVER_LAYERS = ["app", "transport", "rooms", "executor", "auth", "cluster", "store", "runtime"];

const layerRules = SERVER_LAYERS.slice(1).map((layer, i) => ({
  name: `server-${layer}-imports-only-downwards`,
  comment: `server/${layer}/ may import only ${SERVER_LAYERS.slice(i + 2).map((l) => `server/${l}/`).concat("shared/").join(", ")}; not ${SERVER_LAYERS.slice(0, i + 1).map((l) => `server/${l}/`).join(", ")} nor server/index.ts`,
  severity: "error",
  from: { path: `^server/${layer}/` },
  to: { path: [`^server/(${SERVER_LAYERS.slice(0, i + 1).join("|")})/`, "^server/index\\.ts$"] },
}));

/** @type {import("dependency-cruiser").IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "shared-not-to-server-or-client",
      comment: "shared/ is the common ground of server and client: it imports neither",
      severity: "error",
      from: { path: "^shared/" },
      to: { path: "^(server|client)/" },
    },
    {
      name: "shared-only-pure-dependencies",
      comment: "shared/ runs in browsers too: it may import only zod, nanoid, leven and itself (no node: builtins)",
      severity: "error",
      from: { path: "^shared/" },
      // server/ and client/ are the rule above's.
      to: { pathNot: ["^shared/", "^(server|client)/", "(^|/)node_modules/(zod|nanoid|leven)/"] },
    },
    {
      name: "browser-bundle-not-to-server",
      comment: "the dashboard bundle (everything client/web/main.ts reaches) runs in browsers: nothing from server/",
      severity: "error",
      from: { path: "^client/web/main\\.ts$" },
      to: { path: "^server/", reachable: true },
    },
    {
      name: "browser-bundle-not-to-node-builtins",
      comment: "the dashboard bundle (everything client/web/main.ts reaches) runs in browsers: no node: builtins",
      severity: "error",
      from: { path: "^client/web/main\\.ts$" },
      to: { path: NODE_BUILTINS, reachable: true },
    },
    {
      name: "client-not-to-server",
      comment: "the client talks to the server over the wire only; `planroom serve` (client/cli/serve-command.ts) and `planroom migrate` (client/cli/migrate-command.ts) are the exceptions",
      severity: "error",
      from: { path: "^client/", pathNot: "^client/cli/(serve|migrate)-command\\.ts$" },
      to: { path: "^server/" },
    },
    {
      name: "serve-command-imports-only-serve",
      comment: "client/cli/serve-command.ts may import server/app/serve.ts and nothing else of the server",
      severity: "error",
      from: { path: "^client/cli/serve-command\\.ts$" },
      to: { path: "^server/", pathNot: "^server/app/serve\\.ts$" },
    },
    {
      name: "serve-command-import-is-dynamic",
      comment: "client/cli/serve-command.ts may reach server/app/serve.ts only by a dynamic import, so that the other commands never load the server",
      severity: "error",
      from: { path: "^client/cli/serve-command\\.ts$" },
      to: { path: "^server/app/serve\\.ts$", dynamic: false },
    },
    {
      name: "migrate-command-imports-only-migrate-store",
      comment: "client/cli/migrate-command.ts may import server/app/migrate-store.ts and nothing else of the server",
      severity: "error",
      from: { path: "^client/cli/migrate-command\\.ts$" },
      to: { path: "^server/", pathNot: "^server/app/migrate-store\\.ts$" },
    },
    {
      name: "migrate-command-import-is-dynamic",
      comment: "client/cli/migrate-command.ts may reach server/app/migrate-store.ts only by a dynamic import, so that the other commands never load the server",
      severity: "error",
      from: { path: "^client/cli/migrate-command\\.ts$" },
      to: { path: "^server/app/migrate-store\\.ts$", dynamic: false },
    },
    {
      name: "server-not-to-client",
      comment: "the server does not depend on the client SDK",
      severity: "error",
      from: { path: "^server/" },
      to: { path: "^client/" },
    },
    {
      name: "sources-not-to-tests",
      comment: "shared/, server/ and client/ do not import test/, bench/ or examples/",
      severity: "error",
      from: { path: "^(shared|server|client)/" },
      to: { path: "^(test|bench|examples)/" },
    },
    ...layerRules,
    {
      name: "server-transports-independent",
      comment: "the HTTP and socket transports are side by side and independent: neither imports the other",
      severity: "error",
      from: { path: "^server/transport/(http|socket)/" },
      to: { path: "^server/transport/(http|socket)/", pathNot: "^server/transport/$1/" },
    },
    {
      name: "server-store-interface-not-to-file-store",
      comment: "server/store/*.ts (the store's interface, helpers and the memory store) sit below server/store/file/, which implements them",
      severity: "error",
      from: { path: "^server/store/[^/]+$" },
      to: { path: "^server/store/file/" },
    },
    {
      name: "server-no-circular",
      comment: "no import cycles within server/",
      severity: "error",
      from: { path: "^server/" },
      to: { circular: true },
    },
    {
      name: "not-to-unresolvable",
      comment: "every import resolves (otherwise the rules above would silently see nothing)",
      severity: "error",
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: "(^|/)node_modules/" },
    exclude: { path: "^(node_modules|dist|data|test-output|coverage)/" },
    // Type-only imports count: a layer that names an upper layer's types depends on it.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      mainFields: ["module", "main", "types", "typings"],
      extensions: [".ts", ".js", ".mjs", ".cjs", ".json", ".d.ts"],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
