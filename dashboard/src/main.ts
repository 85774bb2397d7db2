// The dashboard's entry: settings, sign-in state, navigation and the routes.

import { setUnauthenticatedHandler } from "./api";
import { loadSettings } from "./config";
import { stopEndpointAlerts, watchEndpointAlerts } from "./endpoint-alerts";
import { h, replace } from "./dom";
import { showError } from "./notify";
import { currentPath, navigate, render, route } from "./router";
import * as session from "./session";
import { jobView } from "./views/job";
import { jobsView } from "./views/jobs";
import { signInView } from "./views/signin";
import { studioView } from "./views/studio";
import { templateView } from "./views/template";
import { templatesView } from "./views/templates";
import { webhookView } from "./views/webhook";

function nav(): void {
  const el = document.getElementById("nav");
  if (!el) return;
  if (!session.apiKey()) {
    stopEndpointAlerts();
    replace(el);
    return;
  }
  // Every page, looked at again on every navigation.
  watchEndpointAlerts();
  const path = currentPath();
  const link = (href: string, label: string) =>
    h("a", { href: `#${href}`, "aria-current": path.startsWith(href) ? "page" : null }, label);
  replace(
    el,
    link("/templates", "Templates"),
    link("/studio", "Studio"),
    link("/jobs", "Jobs"),
    h(
      "button",
      {
        type: "button",
        class: "link",
        onclick: () => {
          session.signOut();
          navigate("/signin");
        },
      },
      "Sign out",
    ),
  );
}

async function start(): Promise<void> {
  const settings = await loadSettings();
  setUnauthenticatedHandler((error) => {
    session.signOut();
    navigate("/signin");
    showError(error);
  });
  route("/signin", (root) => signInView(root, settings.apiBaseUrl, nav));
  const signedIn =
    (view: Parameters<typeof route>[1]): Parameters<typeof route>[1] =>
    (root, params, life) => {
      if (!session.apiKey()) {
        navigate("/signin");
        return;
      }
      return view(root, params, life);
    };
  route("/templates", signedIn(templatesView));
  route("/templates/new", signedIn((root, _params, life) => templateView(root, [], life)));
  route("/templates/:id", signedIn(templateView));
  route("/studio", signedIn(studioView));
  route("/templates/:id/studio", signedIn(studioView));
  route("/webhooks/:id", signedIn(webhookView));
  route("/jobs", signedIn(jobsView));
  route("/jobs/:id", signedIn(jobView));
  window.addEventListener("hashchange", () => {
    nav();
    void render().catch(showError);
  });
  nav();
  if (!session.apiKey()) navigate("/signin");
  else await render().catch(showError);
}

void start();
