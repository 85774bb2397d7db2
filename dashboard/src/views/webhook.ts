// One webhook endpoint: copy its ID; reveal, copy and rotate its signing secret; enable or disable it;
// send a test event; send its failed deliveries again; edit; delete; and its delivery attempts.

import * as api from "../api";
import { copyText } from "../clipboard";
import { refreshEndpointAlerts } from "../endpoint-alerts";
import { confirmAction } from "../dialog";
import { actionButton, h } from "../dom";
import { guarded, showNotice } from "../notify";
import { navigate, type Lifetime } from "../router";
import type { WebhookEndpoint } from "../types";
import { deliveriesSection } from "./deliveries";
import { webhookForm } from "./webhook-form";

export async function webhookView(root: HTMLElement, params: string[], life: Lifetime): Promise<void> {
  const [id] = params;
  await guarded(async () => {
    const endpoint = await api.webhooks.get(id);
    if (!life.alive) return;
    root.append(
      summarySection(endpoint),
      secretSection(endpoint),
      recoverySection(endpoint),
      editSection(endpoint),
      deliveriesSection(endpoint, life),
    );
  });
}

function statePill(endpoint: WebhookEndpoint): HTMLElement {
  return endpoint.enabled
    ? h("span", { class: "pill ok", "data-state": "enabled" }, "enabled")
    : h("span", { class: "pill off", "data-state": "disabled" }, endpoint.disabled_reason ? `disabled: ${endpoint.disabled_reason}` : "disabled");
}

function summarySection(endpoint: WebhookEndpoint): HTMLElement {
  let current = endpoint;
  const pill = h("span", {}, statePill(current));
  const testResult = h("p", { class: "test-result", "aria-live": "polite" });
  const toggle: HTMLButtonElement = actionButton(current.enabled ? "Disable" : "Enable", () =>
    guarded(async () => {
      current = await api.webhooks.update(current.id, { enabled: !current.enabled });
      pill.replaceChildren(statePill(current));
      toggle.textContent = current.enabled ? "Disable" : "Enable";
      showNotice(`Endpoint ${current.enabled ? "enabled" : "disabled"}.`);
      void refreshEndpointAlerts();
    }),
  );
  const test = actionButton("Send test event", () =>
    guarded(async () => {
      testResult.textContent = "Sending…";
      const attempt = await api.webhooks.test(current.id);
      const outcome = attempt.status_code ? `HTTP ${attempt.status_code}` : attempt.error_class ?? "no answer";
      const detail = attempt.error ? ` — ${attempt.error}` : "";
      testResult.textContent = `Test event: ${outcome} in ${attempt.latency_ms} ms${detail}`;
      testResult.className = `test-result ${attempt.status_code && attempt.status_code < 300 ? "ok" : "bad"}`;
    }),
  );
  const remove = actionButton(
    "Delete endpoint",
    async () => {
      const sure = await confirmAction(`Delete the endpoint “${current.name}”? Pending deliveries to it stop.`, "Delete endpoint");
      if (!sure) return;
      await guarded(async () => {
        await api.webhooks.remove(current.id);
        showNotice(`Endpoint “${current.name}” deleted.`);
        navigate(`/templates/${current.template_id}`);
      });
    },
    { class: "danger" },
  );
  return h(
    "section",
    { class: "card" },
    h("p", {}, h("a", { href: `#/templates/${endpoint.template_id}` }, "← Template")),
    h("div", { class: "heading" }, h("h1", {}, endpoint.name), pill),
    h("p", { class: "url" }, `${endpoint.method} ${endpoint.url}`),
    h(
      "p",
      { class: "id-line" },
      "Endpoint ID ",
      h("code", { "data-endpoint-id": endpoint.id }, endpoint.id),
      actionButton("Copy ID", () => copyText(endpoint.id, "Endpoint ID")),
    ),
    h("div", { class: "actions" }, toggle, test, remove),
    testResult,
  );
}

function secretSection(endpoint: WebhookEndpoint): HTMLElement {
  let secret = endpoint.secret ?? "";
  const box = h("input", { type: "password", readonly: true, value: secret, name: "secret", "aria-label": "Signing secret", autocomplete: "off" });
  const reveal: HTMLButtonElement = actionButton("Reveal", () => {
    const hidden = box.type === "password";
    box.type = hidden ? "text" : "password";
    reveal.textContent = hidden ? "Hide" : "Reveal";
  });
  const copy = actionButton("Copy secret", () => copyText(secret, "Signing secret", box));
  const rotate = actionButton(
    "Rotate secret",
    async () => {
      const sure = await confirmAction(
        "Issue a new signing secret? For 24 hours the old one signs too, so receivers can switch without missing a delivery.",
        "Rotate secret",
      );
      if (!sure) return;
      await guarded(async () => {
        const rotated = await api.webhooks.rotateSecret(endpoint.id);
        secret = rotated.secret ?? "";
        box.value = secret;
        showNotice("New signing secret issued; the old one keeps signing for 24 hours.");
      });
    },
    { class: "danger" },
  );
  return h(
    "section",
    { class: "card" },
    h("h2", {}, "Signing secret"),
    h("p", { class: "muted" }, "Receivers verify the webhook-signature header with it (Standard Webhooks)."),
    h("div", { class: "secret" }, box, reveal, copy, rotate),
  );
}

function editSection(endpoint: WebhookEndpoint): HTMLElement {
  const form = webhookForm(endpoint, "Save endpoint", async (fields) => {
    await api.webhooks.update(endpoint.id, fields);
    showNotice("Endpoint saved.");
  });
  return h("section", { class: "card" }, h("details", {}, h("summary", {}, h("h2", { class: "inline" }, "Edit endpoint")), form));
}

/** `datetime-local`'s value (local time, to the minute) for `date`. */
function localInputValue(date: Date): string {
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

function recoverySection(endpoint: WebhookEndpoint): HTMLElement {
  const dayAgo = new Date(Date.now() - 24 * 3600 * 1000);
  const since = h("input", {
    type: "datetime-local",
    name: "since",
    "aria-label": "Failed since",
    value: localInputValue(dayAgo),
  });
  const result = h("p", { class: "recover-result", "aria-live": "polite" });
  const recover = actionButton("Resend failed deliveries", () =>
    guarded(async () => {
      const from = new Date(since.value);
      if (Number.isNaN(from.getTime())) {
        result.textContent = "Pick the time the receiver went down.";
        return;
      }
      const recovery = await api.webhooks.recover(endpoint.id, from.toISOString());
      const more = recovery.more ? " More may remain: press again in a moment." : "";
      result.textContent = `${recovery.queued} failed ${recovery.queued === 1 ? "delivery" : "deliveries"} queued again.${more}`;
      showNotice(`${recovery.queued} queued again.`);
    }),
  );
  return h(
    "section",
    { class: "card" },
    h("h2", {}, "Recover after an outage"),
    h(
      "p",
      { class: "muted" },
      "Sends again every delivery to this endpoint that failed since the time below (within 24 hours), with its original webhook-id, at most 100 at a time.",
    ),
    h("div", { class: "actions" }, h("label", {}, "Failed since ", since), recover),
    result,
  );
}
