/** Planroom's server library: the executor, its clock, and (as they land) the server and stores. */
export * from "./clock.js";
export * from "./executor.js";
export * from "./create-server.js";
export * from "./config.js";
export { loadToolModule, loadToolModules, toolEntries, type ToolModule } from "./tool-modules.js";
export { reviewLink } from "./http-api.js";
export { PrincipalRegistry, hashToken, createDevPrincipals } from "./principals.js";
export type { Logger } from "./logger.js";
export { silentLogger, consoleLogger } from "./logger.js";
export type { Store } from "./store/store.js";
export { createFileStore, type FileStore, type FileStoreOptions } from "./store/file-store.js";
export { createMemoryStore } from "./store/memory-store.js";
