// The banner every page shows while pagewire has switched off one of the tenant's endpoints (a 410 from
// its receiver, or a long run of failed deliveries): which endpoint, why and since when, with a link to
// its page, where it can be enabled again and its missed deliveries recovered. An endpoint the tenant
// disabled itself carries no reason and is not announced.

import * as api from "./api";
import { h, replace } from "./dom";
import type { WebhookEndpoint } from "./types";

/** How often a signed-in page looks again, so a switch-off shows without navigating. */
const REFRESH_MS = 30_000;

let timer: number | undefined;

function region(): HTMLElement | null {
  return document.getElementById("endpoint-alerts");
}

function switchedOff(endpoints: WebhookEndpoint[]): WebhookEndpoint[] {
  return endpoints.filter((e) => !e.enabled && e.disabled_reason);
}

function alert(endpoint: WebhookEndpoint): HTMLElement {
  const since = endpoint.disabled_at ? ` on ${new Date(endpoint.disabled_at).toLocaleString()}` : "";
  return h(
    "div",
    { class: "banner warning", role: "alert", "data-endpoint-id": endpoint.id },
    h(
      "span",
      {},
      `Webhook endpoint “${endpoint.name}” was switched off${since}: ${endpoint.disabled_reason}. `,
      "Its deliveries are not sent until it is enabled again.",
    ),
    h("a", { href: `#/webhooks/${endpoint.id}` }, "Open the endpoint"),
  );
}

/** Shows the banner for the endpoints switched off now (or none). A failed look leaves it as it was:
 * the page's own errors say what is wrong with the API. */
export async function refreshEndpointAlerts(): Promise<void> {
  const el = region();
  if (!el) return;
  try {
    replace(el, switchedOff(await api.webhooks.listAll()).map(alert));
  } catch {
    // Signed out, or the API unreachable: the next look tries again.
  }
}

/** Looks now and then every REFRESH_MS while signed in; `stop` clears the banner. */
export function watchEndpointAlerts(): void {
  void refreshEndpointAlerts();
  if (timer === undefined) timer = window.setInterval(() => void refreshEndpointAlerts(), REFRESH_MS);
}

export function stopEndpointAlerts(): void {
  if (timer !== undefined) window.clearInterval(timer);
  timer = undefined;
  const el = region();
  if (el) replace(el);
}
