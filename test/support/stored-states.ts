import type { PlanState } from "../../shared/index.js";
import type { Store } from "../../server/store/store.js";

/** Every plan a store holds, newest first: the index paged through, each plan loaded. */
export async function storedStates(store: Store): Promise<PlanState[]> {
  const states: PlanState[] = [];
  for (let page = await store.queryPlans({ limit: 500 }); ; page = await store.queryPlans({ limit: 500, after: page.next })) {
    for (const { row } of page.plans) {
      const state = await store.loadPlan(row.id);
      if (state) states.push(state);
    }
    if (!page.next) return states;
  }
}
