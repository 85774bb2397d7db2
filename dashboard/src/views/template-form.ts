// The template editor: name, date order, and a list of fields, each with a type and one extraction rule
// (a label, a regular expression, or a page region). The API validates the rules; its refusal is shown.

import { field, h } from "../dom";
import { showError } from "../notify";
import type { DateOrder, FieldRule, FieldSpec, FieldType, TemplateInput } from "../types";

const FIELD_TYPES: FieldType[] = ["text", "number", "money", "date"];
const RULE_KINDS: FieldRule["kind"][] = ["label", "regex", "region"];

function select<T extends string>(name: string, options: T[], value: T, labels?: Record<T, string>): HTMLSelectElement {
  return h(
    "select",
    { name },
    options.map((o) => h("option", { value: o, selected: o === value }, labels?.[o] ?? o)),
  );
}

function input(name: string, value: string | number | null | undefined, attrs: Record<string, string> = {}): HTMLInputElement {
  return h("input", { name, value: value ?? "", ...attrs });
}

/** One field's row; `read` gives its FieldSpec back from what the user typed. */
class FieldRow {
  readonly el: HTMLFieldSetElement;
  private readonly name: HTMLInputElement;
  private readonly type: HTMLSelectElement;
  private readonly kind: HTMLSelectElement;
  private readonly ruleBox = h("div", { class: "rule" });
  private ruleInputs: Record<string, HTMLInputElement | HTMLSelectElement> = {};

  constructor(spec: FieldSpec, onRemove: (row: FieldRow) => void) {
    this.name = input("field_name", spec.name, { required: "", placeholder: "invoice_number" });
    this.type = select("field_type", FIELD_TYPES, spec.type);
    this.kind = select("rule_kind", RULE_KINDS, spec.rule.kind, {
      label: "label",
      regex: "regular expression",
      region: "page region",
    });
    this.kind.addEventListener("change", () => this.showRule({ kind: this.kind.value } as FieldRule));
    this.showRule(spec.rule);
    this.el = h(
      "fieldset",
      { class: "field-row" },
      h("legend", {}, "Field"),
      h("div", { class: "row" }, field("Name", this.name), field("Type", this.type), field("Rule", this.kind)),
      this.ruleBox,
      h("button", { type: "button", class: "link danger", onclick: () => onRemove(this) }, "Remove field"),
    );
  }

  private showRule(rule: FieldRule): void {
    const r = rule as Partial<Record<string, unknown>>;
    const text = (key: string, attrs: Record<string, string> = {}) => {
      const el = input(`rule_${key}`, r[key] as string | number | undefined, attrs);
      this.ruleInputs[key] = el;
      return el;
    };
    const number = (key: string, attrs: Record<string, string> = {}) =>
      text(key, { type: "number", step: "any", ...attrs });
    this.ruleInputs = {};
    switch (rule.kind) {
      case "label": {
        const direction = select("rule_direction", ["right", "below"], (r.direction as "right" | "below") ?? "right");
        this.ruleInputs.direction = direction;
        this.ruleBox.replaceChildren(
          h("div", { class: "row" }, field("Label", text("label", { required: "", placeholder: "Invoice Number:" })), field("Value is", direction)),
        );
        break;
      }
      case "regex":
        this.ruleBox.replaceChildren(
          h(
            "div",
            { class: "row" },
            field("Pattern", text("pattern", { required: "", placeholder: "Total Due:\\s*(\\S+)" })),
            field("Group", number("group", { min: "0", step: "1", placeholder: "1" })),
          ),
        );
        break;
      case "region":
        this.ruleBox.replaceChildren(
          h(
            "div",
            { class: "row" },
            field("Page", number("page", { min: "1", step: "1", placeholder: "any" })),
            field("x", number("x", { required: "", min: "0", max: "1" })),
            field("y", number("y", { required: "", min: "0", max: "1" })),
            field("Width", number("width", { required: "", min: "0", max: "1" })),
            field("Height", number("height", { required: "", min: "0", max: "1" })),
          ),
          h("small", {}, "Fractions of the page (0 to 1) from its top-left corner."),
        );
        break;
    }
  }

  read(): FieldSpec {
    const value = (key: string) => this.ruleInputs[key]?.value.trim() ?? "";
    const optionalNumber = (key: string) => (value(key) === "" ? null : Number(value(key)));
    let rule: FieldRule;
    switch (this.kind.value as FieldRule["kind"]) {
      case "label":
        rule = { kind: "label", label: value("label"), direction: value("direction") as "right" | "below" };
        break;
      case "regex":
        rule = { kind: "regex", pattern: value("pattern"), group: optionalNumber("group") };
        break;
      default:
        rule = {
          kind: "region",
          page: optionalNumber("page"),
          x: Number(value("x")),
          y: Number(value("y")),
          width: Number(value("width")),
          height: Number(value("height")),
        };
    }
    return { name: this.name.value.trim(), type: this.type.value as FieldType, rule };
  }
}

export interface TemplateForm {
  el: HTMLFormElement;
}

export function templateForm(
  initial: TemplateInput | null,
  submitLabel: string,
  onSubmit: (input: TemplateInput) => Promise<void>,
): TemplateForm {
  const name = input("template_name", initial?.name, { required: "", maxlength: "200", placeholder: "Invoices" });
  const dateOrder = select<DateOrder>("date_order", ["day_month_year", "month_day_year"], initial?.date_order ?? "day_month_year", {
    day_month_year: "day/month/year (15/03/2024)",
    month_day_year: "month/day/year (03/15/2024)",
  });
  const rows: FieldRow[] = [];
  const rowsBox = h("div", { class: "fields" });
  const addRow = (spec: FieldSpec) => {
    const row = new FieldRow(spec, (r) => {
      rows.splice(rows.indexOf(r), 1);
      r.el.remove();
    });
    rows.push(row);
    rowsBox.append(row.el);
  };
  for (const spec of initial?.fields ?? []) addRow(spec);
  if (!initial) addRow({ name: "", type: "text", rule: { kind: "label", label: "" } });
  const submit = h("button", { type: "submit", class: "primary" }, submitLabel);
  const form = h(
    "form",
    { class: "template-form", "aria-label": "Template" },
    h("div", { class: "row" }, field("Name", name), field("Dates like 03/04/2024 read as", dateOrder)),
    h("h3", {}, "Fields"),
    rowsBox,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", onclick: () => addRow({ name: "", type: "text", rule: { kind: "label", label: "" } }) }, "Add field"),
      submit,
    ),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    try {
      await onSubmit({ name: name.value.trim(), date_order: dateOrder.value as DateOrder, fields: rows.map((r) => r.read()) });
    } catch (error) {
      showError(error);
    } finally {
      submit.disabled = false;
    }
  });
  return { el: form };
}
