// Sign-in: the API key is checked against the API, then kept in this tab's sessionStorage only.

import { checkKey } from "../api";
import { field, h } from "../dom";
import { clearMessages, showError } from "../notify";
import { navigate } from "../router";
import * as session from "../session";

export function signInView(root: HTMLElement, defaultBase: string, onSignedIn: () => void): void {
  const key = h("input", {
    type: "password",
    name: "api_key",
    autocomplete: "off",
    required: true,
    placeholder: "pw_…",
  });
  const base = h("input", {
    type: "url",
    name: "api_base",
    value: session.apiBase() || defaultBase,
    placeholder: window.location.origin,
  });
  const submit = h("button", { type: "submit", class: "primary" }, "Sign in");
  const form = h(
    "form",
    { class: "card signin", "aria-label": "Sign in" },
    h("h1", {}, "Sign in to pagewire"),
    h("p", {}, "Use an API key of your tenant (pagewire dev prints one). It is kept in this browser tab only."),
    field("API key", key),
    h(
      "details",
      {},
      h("summary", {}, "API address"),
      field("API base URL", base, "Empty: the address this page came from."),
    ),
    submit,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    const apiBase = base.value.trim();
    try {
      await checkKey(key.value.trim(), apiBase);
      session.signIn(key.value.trim(), apiBase);
      key.value = "";
      clearMessages();
      onSignedIn();
      navigate("/templates");
    } catch (error) {
      showError(error);
    } finally {
      submit.disabled = false;
    }
  });
  root.replaceChildren(form);
  key.focus();
}
