// The endpoint editor: name, URL (`:id` becomes the document id), method, custom headers, which events,
// and how pagewire authenticates to the receiver (none, a fixed Authorization value, or a token URL).

import { field, h } from "../dom";
import { showError } from "../notify";
import { HTTP_METHODS, type EndpointAuth, type HttpMethod, type WebhookEndpoint, type WebhookInput } from "../types";

export type EndpointFields = Omit<WebhookInput, "template_id">;

function headerRow(name = "", value = ""): HTMLDivElement {
  const row: HTMLDivElement = h(
    "div",
    { class: "row header-row" },
    field("Header", h("input", { name: "header_name", value: name, placeholder: "X-Tenant" })),
    field("Value", h("input", { name: "header_value", value, placeholder: "acme" })),
    h("button", { type: "button", class: "link danger", onclick: () => row.remove() }, "Remove"),
  );
  return row;
}

function readHeaders(box: HTMLElement): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const row of box.querySelectorAll(".header-row")) {
    const name = (row.querySelector("[name=header_name]") as HTMLInputElement).value.trim();
    const value = (row.querySelector("[name=header_value]") as HTMLInputElement).value;
    if (name) headers[name] = value;
  }
  return headers;
}

function parseJsonObject(text: string, what: string): unknown {
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${what} is not valid JSON.`);
  }
}

export function webhookForm(
  initial: WebhookEndpoint | null,
  submitLabel: string,
  onSubmit: (fields: EndpointFields) => Promise<void>,
): HTMLFormElement {
  const name = h("input", { name: "name", required: true, value: initial?.name ?? "", placeholder: "ERP import" });
  const url = h("input", {
    name: "url",
    type: "url",
    required: true,
    value: initial?.url ?? "",
    placeholder: "https://example.com/hooks/:id",
  });
  const method = h(
    "select",
    { name: "method" },
    HTTP_METHODS.map((m) => h("option", { value: m, selected: m === (initial?.method ?? "POST") }, m)),
  );
  const headersBox = h("div", { class: "headers" });
  for (const [k, v] of Object.entries(initial?.headers ?? {})) headersBox.append(headerRow(k, v));
  const events = ["document.completed", "document.failed", "webhook.endpoint_disabled"].map((type) =>
    h("input", { type: "checkbox", name: "event_type", value: type, checked: initial?.event_types.includes(type) ?? false }),
  );

  const auth: EndpointAuth = initial?.auth ?? { type: "none" };
  const authType = h(
    "select",
    { name: "auth_type" },
    h("option", { value: "none", selected: auth.type === "none" }, "none (signature only)"),
    h("option", { value: "fixed", selected: auth.type === "fixed" }, "fixed Authorization header"),
    h("option", { value: "token_url", selected: auth.type === "token_url" }, "token fetched from a URL"),
  );
  const fixed = h("input", {
    name: "auth_authorization",
    value: auth.type === "fixed" ? auth.authorization : "",
    placeholder: "Bearer eyJ…",
    autocomplete: "off",
  });
  const tokenUrl = h("input", { name: "auth_url", type: "url", value: auth.type === "token_url" ? auth.url : "" });
  const tokenMethod = h(
    "select",
    { name: "auth_method" },
    HTTP_METHODS.map((m) => h("option", { value: m, selected: m === (auth.type === "token_url" ? auth.method ?? "POST" : "POST") }, m)),
  );
  const tokenAttribute = h("input", {
    name: "auth_token_attribute",
    value: auth.type === "token_url" ? auth.token_attribute : "access_token",
  });
  const tokenScheme = h("input", { name: "auth_scheme", value: auth.type === "token_url" ? auth.scheme ?? "Bearer" : "Bearer" });
  const tokenHeaders = h("textarea", { name: "auth_headers", rows: 2, placeholder: '{"Content-Type": "application/json"}' });
  const tokenBody = h("textarea", { name: "auth_body", rows: 3, placeholder: '{"username": "…", "password": "…"}' });
  if (auth.type === "token_url") {
    tokenHeaders.value = auth.headers && Object.keys(auth.headers).length ? JSON.stringify(auth.headers) : "";
    tokenBody.value = auth.body === undefined || auth.body === null ? "" : JSON.stringify(auth.body);
  }
  const authBoxes = {
    none: h("div", {}),
    fixed: h("div", {}, field("Authorization value", fixed)),
    token_url: h(
      "div",
      {},
      h("div", { class: "row" }, field("Token URL", tokenUrl), field("Method", tokenMethod)),
      h("div", { class: "row" }, field("Token attribute", tokenAttribute, "Dotted path in the JSON answer"), field("Scheme", tokenScheme)),
      field("Request headers (JSON)", tokenHeaders),
      field("Request body (JSON)", tokenBody),
    ),
  };
  const authBox = h("div", { class: "auth" });
  const showAuth = () => authBox.replaceChildren(authBoxes[authType.value as EndpointAuth["type"]]);
  authType.addEventListener("change", showAuth);
  showAuth();

  const readAuth = (): EndpointAuth => {
    switch (authType.value as EndpointAuth["type"]) {
      case "fixed":
        return { type: "fixed", authorization: fixed.value };
      case "token_url": {
        const headers = parseJsonObject(tokenHeaders.value, "Request headers") as Record<string, string> | undefined;
        return {
          type: "token_url",
          url: tokenUrl.value.trim(),
          method: tokenMethod.value as HttpMethod,
          headers: headers ?? {},
          body: parseJsonObject(tokenBody.value, "Request body"),
          token_attribute: tokenAttribute.value.trim(),
          scheme: tokenScheme.value.trim() || "Bearer",
        };
      }
      default:
        return { type: "none" };
    }
  };

  const submit = h("button", { type: "submit", class: "primary" }, submitLabel);
  const form = h(
    "form",
    { class: "webhook-form", "aria-label": "Webhook endpoint" },
    h("div", { class: "row" }, field("Name", name), field("Method", method)),
    field("URL", url, ":id in the URL is replaced by the document id."),
    h("h4", {}, "Custom headers"),
    headersBox,
    h("button", { type: "button", onclick: () => headersBox.append(headerRow()) }, "Add header"),
    h("h4", {}, "Events"),
    h(
      "div",
      { class: "row checks" },
      events.map((box) => h("label", { class: "check" }, box, box.value)),
      h("small", {}, "None ticked: every document event (not webhook.endpoint_disabled, which tells of another endpoint switched off)."),
    ),
    h("h4", {}, "Authentication"),
    field("Type", authType),
    authBox,
    h("div", { class: "actions" }, submit),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    try {
      await onSubmit({
        name: name.value.trim(),
        url: url.value.trim(),
        method: method.value as HttpMethod,
        headers: readHeaders(headersBox),
        event_types: events.filter((e) => e.checked).map((e) => e.value),
        auth: readAuth(),
      });
    } catch (error) {
      showError(error);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}
