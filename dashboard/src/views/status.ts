// Job and document statuses as coloured labels (the API's exact strings).

import { h } from "../dom";

export function statusPill(status: string): HTMLElement {
  const tone = status.endsWith("SUCCESS") ? "ok" : status.endsWith("FAILED") ? "bad" : "busy";
  return h("span", { class: `pill ${tone}`, "data-status": status }, status);
}
