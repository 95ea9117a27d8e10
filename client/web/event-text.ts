/** One readable line per plan event, for the live event log: the shared sentence and tone. Pure. */
import { EVENT_TONE, eventSentence, type EventTone, type PlanEvent } from "../../shared/index.js";

/** How an event is shown: its sentence and a tone for its colour. */
export interface EventText {
  text: string;
  tone: EventTone;
}

/** Describes an event in one sentence (`eventSentence`, as the CLI prints it), with a tone. */
export function describeEvent(event: PlanEvent): EventText {
  return { text: eventSentence(event), tone: EVENT_TONE[event.type] };
}
