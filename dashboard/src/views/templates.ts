// The template list: open, create, delete (after a confirmation).

import * as api from "../api";
import { confirmAction } from "../dialog";
import { actionButton, formatTime, h, tableBox } from "../dom";
import { guarded, showNotice } from "../notify";
import { navigate, type Lifetime } from "../router";

export async function templatesView(root: HTMLElement, _params: string[], life: Lifetime): Promise<void> {
  const list = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  root.append(
    h(
      "section",
      { class: "card" },
      h(
        "div",
        { class: "heading" },
        h("h1", {}, "Templates"),
        h("a", { class: "button primary", href: "#/templates/new" }, "New template"),
      ),
      h("p", { class: "muted" }, "A template names the fields to extract and the rules that find them. Its webhook endpoints receive every document's result."),
      list,
    ),
  );
  await guarded(async () => {
    const templates = await api.templates.list();
    if (!life.alive) return;
    if (templates.length === 0) {
      list.replaceChildren(h("p", { class: "muted" }, "No templates yet."));
      return;
    }
    const rows = templates.map((t) =>
      h(
        "tr",
        { "data-template-id": t.id },
        h("td", {}, h("a", { href: `#/templates/${t.id}` }, t.name)),
        h("td", {}, String(t.fields.length)),
        h("td", {}, formatTime(t.updated_at)),
        h(
          "td",
          { class: "actions" },
          actionButton("Delete", async () => {
            const sure = await confirmAction(
              `Delete the template “${t.name}” and all its webhook endpoints? Jobs already submitted keep their results.`,
              "Delete template",
            );
            if (!sure) return;
            await guarded(async () => {
              await api.templates.remove(t.id);
              showNotice(`Template “${t.name}” deleted.`);
              navigate("/templates");
            });
          }, { class: "danger" }),
        ),
      ),
    );
    list.replaceChildren(
      tableBox(
        h(
          "table",
          { "aria-label": "Templates" },
          h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "Fields"), h("th", {}, "Updated"), h("th", {}, ""))),
          h("tbody", {}, rows),
        ),
      ),
    );
  });
}
