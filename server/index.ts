/** Planroom's server library: the executor, its clock, and (as they land) the server and stores. */
export * from "./clock.js";
export * from "./executor.js";
