/**
 * The principals the tests' servers know, one definition each: the in-memory servers of
 * `planroom-test-kit.ts`, the real servers of `real-server.ts`, and the dashboard's browser tests.
 */
import type { PrincipalConfig } from "../../server/app/config.js";

/** The principal of `list` with this id; throws when there is none (a typo in a test). */
function principalIn(list: readonly PrincipalConfig[], id: string): PrincipalConfig {
  const found = list.find((p) => p.id === id);
  if (!found) throw new Error(`no test principal ${id}`);
  return found;
}

/** The principals of the in-memory test servers; each token is `<id>-token-secret` (padded where short). */
export const TEST_PRINCIPALS: PrincipalConfig[] = [
  { id: "agent-1", name: "Agent One", roles: ["agent"], token: "agent-1-token-secret" },
  { id: "agent-2", name: "Agent Two", roles: ["agent"], token: "agent-2-token-secret" },
  { id: "rev-1", name: "Reviewer One", roles: ["reviewer"], token: "rev-1-token-secret" },
  { id: "rev-2", name: "Reviewer Two", roles: ["reviewer"], token: "rev-2-token-secret" },
  { id: "rev-3", name: "Reviewer Three", roles: ["reviewer"], token: "rev-3-token-secret" },
  { id: "obs", name: "Observer", roles: ["observer"], token: "obs-token-secret-123" },
  { id: "root", name: "Admin", roles: ["admin"], token: "root-token-secret-12" },
  { id: "stranger", name: "Stranger", roles: ["reviewer"], token: "stranger-token-secret" },
];

/** The token of one of {@link TEST_PRINCIPALS}. */
export function tokenOf(id: string): string {
  return principalIn(TEST_PRINCIPALS, id).token;
}

/** Fixed tokens of {@link REAL_SERVER_PRINCIPALS}. */
export const TOKENS = {
  agent: "agent-token-0123456789",
  reviewer1: "reviewer1-token-0123456789",
  reviewer2: "reviewer2-token-0123456789",
  observer: "observer-token-0123456789",
} as const;

/** The principals of the real test servers (see `real-server.ts`): an agent, two reviewers and an observer. */
export const REAL_SERVER_PRINCIPALS: PrincipalConfig[] = [
  { id: "agent-1", name: "Agent", roles: ["agent"], token: TOKENS.agent },
  { id: "reviewer-1", name: "Reviewer 1", roles: ["reviewer"], token: TOKENS.reviewer1 },
  { id: "reviewer-2", name: "Reviewer 2", roles: ["reviewer"], token: TOKENS.reviewer2 },
  { id: "observer-1", name: "Observer", roles: ["observer"], token: TOKENS.observer },
];

/** One of {@link REAL_SERVER_PRINCIPALS}, as a copy (for a server that knows only some of them, or knows them by another name). */
export function realServerPrincipal(id: string): PrincipalConfig {
  return structuredClone(principalIn(REAL_SERVER_PRINCIPALS, id));
}

/** The principals of the dashboard's browser tests. */
export const DASHBOARD_PRINCIPALS: PrincipalConfig[] = [
  { id: "deploy-bot", name: "Deploy Bot", roles: ["agent"], token: "deploy-bot-token-0001" },
  { id: "alice", name: "Alice Martin", roles: ["reviewer"], token: "alice-token-000000001" },
  { id: "bob", name: "Bob Chen", roles: ["reviewer"], token: "bob-token-00000000001" },
  { id: "olga", name: "Olga Observer", roles: ["observer"], token: "olga-token-0000000001" },
  { id: "root", name: "Rita Admin", roles: ["admin"], token: "root-token-0000000001" },
];

/** The token of one of {@link DASHBOARD_PRINCIPALS}. */
export function dashboardTokenOf(id: string): string {
  return principalIn(DASHBOARD_PRINCIPALS, id).token;
}
