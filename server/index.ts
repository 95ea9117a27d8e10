/** Planroom's server library: the executor, its clock, and (as they land) the server and stores. */
export * from "./runtime/clock.js";
export * from "./executor/executor.js";
export * from "./app/create-server.js";
export * from "./app/config.js";
export { loadToolModule, loadToolModules, toolEntries, type ToolModule } from "./app/tool-modules.js";
export { reviewLink, type ReviewLinkOptions } from "../shared/index.js";
export { PrincipalRegistry, hashToken, createDevPrincipals } from "./auth/principals.js";
export type { Logger, LogFields } from "./runtime/logger.js";
export { createStructuredLogger, type LogFormat, type LogLevel, type StructuredLoggerOptions } from "./runtime/structured-logger.js";
export { silentLogger, consoleLogger } from "./runtime/logger.js";
export type { Store } from "./store/store.js";
export { createFileStore, type FileStore, type FileStoreOptions } from "./store/file/file-store.js";
export { createMemoryStore } from "./store/memory-store.js";
export { limiterRateBudget, memoryRateBudget, type RateBudget, type RateBudgets, type RateLimitSettings, type RateVerdict } from "./transport/rate-budget.js";
export { postgresRateBudget, type PostgresRateBudget, type PostgresRateBudgetOptions } from "./transport/postgres-rate-budget.js";
