// Visible feedback: errors from the API in a banner that stays until dismissed or replaced, and short
// notices that fade by themselves.

import { ApiError } from "./api";
import { h, replace } from "./dom";

function region(): HTMLElement {
  const el = document.getElementById("messages");
  if (!el) throw new Error("index.html lacks #messages");
  return el;
}

export function describe(error: unknown): string {
  if (error instanceof ApiError) {
    return error.status ? `${error.message} (${error.status} ${error.code})` : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

export function showError(error: unknown): void {
  const banner = h(
    "div",
    { class: "banner error", role: "alert" },
    h("span", {}, describe(error)),
    h("button", { type: "button", class: "link", "aria-label": "Dismiss", onclick: () => banner.remove() }, "×"),
  );
  replace(region(), banner);
}

export function showNotice(text: string): void {
  const notice = h("div", { class: "banner notice", role: "status" }, text);
  replace(region(), notice);
  window.setTimeout(() => notice.remove(), 4000);
}

export function clearMessages(): void {
  replace(region());
}

/** Runs `action`, showing whatever it throws. */
export async function guarded(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    showError(error);
  }
}
