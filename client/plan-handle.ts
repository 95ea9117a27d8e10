import type { ExecutionOptionsInput, StepInput } from "../shared/index.js";
import { RoomHandle, type RoomClient } from "./room-handle.js";

/** What may change in a revision. */
export interface PlanRevision {
  description?: string;
  options?: ExecutionOptionsInput;
  steps?: StepInput[];
}

/**
 * The agent's view of a plan it submitted: a {@link RoomHandle} that can also revise the plan.
 * The client keeps serving the plan's tools while the handle is open, across reconnections.
 */
export class PlanHandle extends RoomHandle {
  readonly #servesTools: boolean;

  /** @internal Use `client.submit(plan, options)`; `servesTools`: the plan was submitted with tools this client serves. */
  constructor(client: RoomClient, planId: string, servesTools = false) {
    super(client, planId);
    this.#servesTools = servesTools;
  }

  /** @internal Every (re)join of a plan this client serves tools for routes the plan's calls to the current socket. */
  protected override joinOptions(): { serveTools?: boolean } {
    return this.#servesTools ? { serveTools: true } : {};
  }

  /** Revises the plan while it awaits approval (votes on the older version are dismissed); resolves with the new version. */
  async revise(changes: PlanRevision): Promise<number> {
    const { version } = await this.client.command("plan:revise", {
      planId: this.planId,
      version: this.state.plan.version,
      ...(changes.description !== undefined ? { description: changes.description } : {}),
      ...(changes.options !== undefined ? { options: changes.options } : {}),
      ...(changes.steps !== undefined ? { steps: changes.steps } : {}),
    });
    return version;
  }
}
