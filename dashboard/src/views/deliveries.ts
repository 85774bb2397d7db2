// An endpoint's delivery attempts, newest first, refreshed while the page is open; a finished job's
// documents can be sent to this endpoint again.

import * as api from "../api";
import { actionButton, formatTime, h, tableBox } from "../dom";
import { guarded, showError, showNotice } from "../notify";
import type { Lifetime } from "../router";
import type { DeliveryAttempt, WebhookEndpoint } from "../types";

const REFRESH_MS = 3000;

function outcome(attempt: DeliveryAttempt): HTMLElement {
  const ok = attempt.status_code !== null && attempt.status_code >= 200 && attempt.status_code < 300;
  const text = attempt.status_code !== null ? String(attempt.status_code) : attempt.error_class ?? "—";
  return h("span", { class: `pill ${ok ? "ok" : "bad"}`, title: attempt.error ?? "" }, text);
}

export function deliveriesSection(endpoint: WebhookEndpoint, life: Lifetime): HTMLElement {
  const body = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  let shown = "";

  const redeliver = (jobId: string) =>
    actionButton("Redeliver", () =>
      guarded(async () => {
        const { queued } = await api.jobs.redeliver(jobId, [endpoint.id]);
        showNotice(`${queued} ${queued === 1 ? "delivery" : "deliveries"} queued again.`);
        await refresh();
      }),
    );

  const render = (attempts: DeliveryAttempt[]) => {
    if (attempts.length === 0) {
      body.replaceChildren(h("p", { class: "muted" }, "No attempts yet. Submit a document of this template, or send a test event."));
      return;
    }
    const rows = attempts.map((a) =>
      h(
        "tr",
        { class: "attempt", "data-webhook-id": a.webhook_id },
        h("td", {}, formatTime(a.attempted_at)),
        h("td", {}, a.event_type),
        h("td", {}, outcome(a)),
        h("td", { class: "num" }, `${a.latency_ms} ms`),
        h("td", { class: "num" }, String(a.attempt)),
        h("td", {}, a.job_id ? h("a", { href: `#/jobs/${a.job_id}` }, a.job_id.slice(0, 8)) : "test"),
        h("td", { class: "error" }, a.error ?? ""),
        h("td", {}, a.job_id ? redeliver(a.job_id) : null),
      ),
    );
    body.replaceChildren(
      tableBox(
        h(
          "table",
          { "aria-label": "Delivery attempts" },
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              ["Time", "Event", "Status", "Latency", "Attempt", "Job", "Error", ""].map((c) => h("th", {}, c)),
            ),
          ),
          h("tbody", {}, rows),
        ),
      ),
    );
  };

  const refresh = async () => {
    const attempts = await api.webhooks.deliveries(endpoint.id);
    if (!life.alive) return;
    // Re-render only on change, so a button under the pointer is not replaced between two clicks.
    const fingerprint = JSON.stringify(attempts);
    if (fingerprint !== shown) {
      shown = fingerprint;
      render(attempts);
    }
  };

  const timer = window.setInterval(() => void refresh().catch(showError), REFRESH_MS);
  life.onEnd(() => window.clearInterval(timer));
  void refresh().catch(showError);

  return h(
    "section",
    { class: "card" },
    h("div", { class: "heading" }, h("h2", {}, "Delivery attempts"), actionButton("Refresh", () => guarded(refresh))),
    body,
  );
}
