/**
 * Planroom's client SDK: agents submit plans and serve their tools, reviewers join rooms and vote,
 * observers watch every plan. Runs in Node and in browsers.
 */
export { connect, PlanroomClient, toPlanInput, type ConnectOptions, type ConnectionState, type SubmitOptions } from "./planroom-client.js";
export { RoomHandle, stateFromSnapshot, type DecisionOutcome } from "./room-handle.js";
export type { RoomListeners } from "./room-listeners.js";
export { PlanHandle, type PlanRevision } from "./plan-handle.js";
export type { PresenceChange } from "./presence-list.js";
export { WatchHandle, type WatchFilter } from "./watch-handle.js";
export { reviewLink, type ReviewLinkOptions } from "../shared/index.js";
export { ToolServer, type ToolContext, type ToolHandler, type ToolMap } from "./tool-server.js";
export { PlanroomError } from "../shared/index.js";
/** The plan model too, so that an agent needs one import (`planroom/shared` has the rest of the shared core). */
export { ExecutionPlan, formatPlan } from "../shared/index.js";
export type { PlanState, PlanData, PlanEvent, PlanEventType, PlanListItem, PresenceMember, Principal, PlanSummary } from "../shared/index.js";
