// The studio's list of fields: each with its name, type and rule, and the value the last preview read,
// its raw text, confidence and warnings. Editing a name or type, or removing a field, calls `changed`.

import { h } from "../dom";
import type { ExtractedField, FieldRule, FieldSpec, FieldType } from "../types";

export const VALUE_TYPES: Exclude<FieldType, "table">[] = ["text", "date", "money", "number"];

export function describeRule(rule: FieldRule): string {
  switch (rule.kind) {
    case "label":
      return `label “${rule.label}”, value ${rule.direction === "below" ? "below" : "to the right"}`;
    case "regex":
      return `pattern /${rule.pattern}/`;
    case "region":
      return `region on page ${rule.page ?? "any"} at ${pct(rule.x)}, ${pct(rule.y)} (${pct(rule.width)} × ${pct(rule.height)})`;
    case "table":
      return `table of ${rule.columns.length} columns`;
  }
}

const pct = (n: number) => `${Math.round(n * 100)}%`;

export function typeSelect(value: FieldType, onChange: (t: FieldType) => void, label: string): HTMLSelectElement {
  const options = value === "table" ? [...VALUE_TYPES, "table" as const] : VALUE_TYPES;
  const select = h(
    "select",
    { "aria-label": label },
    options.map((t) => h("option", { value: t, selected: t === value }, t)),
  );
  select.addEventListener("change", () => onChange(select.value as FieldType));
  return select;
}

export function shownValue(found: ExtractedField | undefined): string {
  if (!found) return "…";
  if (found.value === null || found.value === undefined) return "not found";
  return typeof found.value === "string" ? found.value : JSON.stringify(found.value);
}

export function fieldsTable(
  fields: FieldSpec[],
  found: ExtractedField[],
  changed: () => void,
): HTMLElement {
  if (!fields.length) {
    return h("p", { class: "muted" }, "No fields yet: click a label or a value on the page, drag a region, or use Find fields.");
  }
  const rows = fields.map((spec, i) => {
    const result = found.find((f) => f.name === spec.name);
    const name = h("input", { value: spec.name, "aria-label": `Name of field ${i + 1}` });
    name.addEventListener("change", () => {
      const next = name.value.trim();
      if (next && !fields.some((f, j) => j !== i && f.name === next)) spec.name = next;
      changed();
    });
    const warnings = result?.warnings ?? [];
    return h(
      "tr",
      { "data-field": spec.name },
      h("td", {}, name),
      h("td", {}, typeSelect(spec.type, (t) => ((spec.type = t), changed()), `Type of ${spec.name}`)),
      h("td", { class: "rule" }, describeRule(spec.rule)),
      h(
        "td",
        { class: "value" },
        h("strong", { class: result?.value == null ? "muted" : "" }, shownValue(result)),
        result?.raw && result.raw !== shownValue(result) ? h("small", {}, ` from “${result.raw}”`) : null,
        result?.confidence != null ? h("small", {}, ` · ${Math.round(result.confidence * 100)}%`) : null,
        warnings.map((w) => h("div", { class: "warning", title: w.code }, w.message)),
      ),
      h(
        "td",
        {},
        h(
          "button",
          {
            type: "button",
            class: "link danger",
            "aria-label": `Remove ${spec.name}`,
            onclick: () => {
              fields.splice(i, 1);
              changed();
            },
          },
          "Remove",
        ),
      ),
    );
  });
  return h(
    "div",
    { class: "table-box" },
    h(
      "table",
      { "aria-label": "Fields" },
      h("thead", {}, h("tr", {}, h("th", {}, "Field"), h("th", {}, "Type"), h("th", {}, "Rule"), h("th", {}, "Value on the sample"), h("th", {}, ""))),
      h("tbody", {}, rows),
    ),
  );
}
