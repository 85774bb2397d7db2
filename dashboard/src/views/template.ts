// One template: edit its fields and rules, delete it, and manage its webhook endpoints. With no id, the
// page creates a template instead.

import * as api from "../api";
import { copyText } from "../clipboard";
import { confirmAction } from "../dialog";
import { actionButton, h, tableBox } from "../dom";
import { guarded, showNotice } from "../notify";
import { navigate, type Lifetime } from "../router";
import type { Template, WebhookEndpoint } from "../types";
import { templateForm } from "./template-form";
import { webhookForm } from "./webhook-form";

export async function templateView(root: HTMLElement, params: string[], life: Lifetime): Promise<void> {
  const [id] = params;
  if (!id) {
    const form = templateForm(null, "Create template", async (input) => {
      const created = await api.templates.create(input);
      showNotice(`Template “${created.name}” created.`);
      navigate(`/templates/${created.id}`);
    });
    root.append(
      h("section", { class: "card" }, h("p", {}, h("a", { href: "#/templates" }, "← Templates")), h("h1", {}, "New template"), form.el),
    );
    return;
  }
  await guarded(async () => {
    const [template, endpoints] = await Promise.all([api.templates.get(id), api.webhooks.list(id)]);
    if (!life.alive) return;
    root.append(editSection(template), endpointsSection(template, endpoints));
  });
}

function editSection(template: Template): HTMLElement {
  const form = templateForm(template, "Save template", async (input) => {
    await api.templates.replace(template.id, input);
    showNotice(`Template “${input.name}” saved.`);
  });
  const remove = actionButton(
    "Delete template",
    async () => {
      const sure = await confirmAction(
        `Delete the template “${template.name}” and all its webhook endpoints? Jobs already submitted keep their results.`,
        "Delete template",
      );
      if (!sure) return;
      await guarded(async () => {
        await api.templates.remove(template.id);
        showNotice(`Template “${template.name}” deleted.`);
        navigate("/templates");
      });
    },
    { class: "danger" },
  );
  return h(
    "section",
    { class: "card" },
    h("p", {}, h("a", { href: "#/templates" }, "← Templates")),
    h("div", { class: "heading" }, h("h1", {}, template.name), remove),
    h("p", { class: "muted" }, "Template ID ", h("code", {}, template.id)),
    h("p", {}, h("a", { href: `#/templates/${template.id}/studio`, class: "button" }, "Open in the studio with a new sample")),
    form.el,
  );
}

function endpointsSection(template: Template, endpoints: WebhookEndpoint[]): HTMLElement {
  const rows = endpoints.map((e) =>
    h(
      "tr",
      { "data-endpoint-id": e.id },
      h("td", {}, h("a", { href: `#/webhooks/${e.id}` }, e.name)),
      h("td", { class: "url" }, `${e.method} ${e.url}`),
      h("td", {}, e.enabled ? h("span", { class: "pill ok" }, "enabled") : h("span", { class: "pill off", title: e.disabled_reason ?? "" }, "disabled")),
      h(
        "td",
        { class: "actions" },
        h("code", { class: "id" }, e.id),
        actionButton("Copy ID", () => copyText(e.id, "Endpoint ID"), { "aria-label": `Copy the ID of ${e.name}` }),
      ),
    ),
  );
  const create = webhookForm(null, "Create endpoint", async (fields) => {
    const created = await api.webhooks.create({ template_id: template.id, ...fields });
    showNotice(`Endpoint “${created.name}” created.`);
    navigate(`/webhooks/${created.id}`);
  });
  return h(
    "section",
    { class: "card" },
    h("h2", {}, "Webhook endpoints"),
    endpoints.length
      ? tableBox(
          h(
            "table",
            { "aria-label": "Webhook endpoints" },
            h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "Target"), h("th", {}, "State"), h("th", {}, "ID"))),
            h("tbody", {}, rows),
          ),
        )
      : h("p", { class: "muted" }, "No endpoints yet: documents of this template are only available through the API."),
    h("details", { class: "new-endpoint", open: endpoints.length === 0 }, h("summary", {}, "New endpoint"), create),
  );
}
