// The template editor: name, date order, decimal separator, and a list of fields, each with a type, a
// match mode and one extraction rule (a label, a regular expression, a page region, or a table of line
// items). The API validates the rules; its refusal is shown.

import { field, h } from "../dom";
import { showError } from "../notify";
import type {
  CellType,
  DateOrder,
  DecimalSeparator,
  FieldRule,
  FieldSpec,
  FieldType,
  MatchMode,
  TableColumn,
  TemplateInput,
} from "../types";

const FIELD_TYPES: FieldType[] = ["text", "number", "money", "date", "table"];
const CELL_TYPES: CellType[] = ["text", "number", "money", "date"];
const RULE_KINDS: FieldRule["kind"][] = ["label", "regex", "region", "table"];
const MATCH_MODES: MatchMode[] = ["first", "last", "all", "sum", "min", "max", "join"];
const MATCH_LABELS: Record<MatchMode, string> = {
  first: "first match",
  last: "last match",
  all: "all matches (a list)",
  sum: "sum (numbers)",
  min: "smallest",
  max: "largest",
  join: "all joined",
};

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

/** One column of a table rule: its name, header label and cell type. */
class ColumnRow {
  readonly el: HTMLDivElement;
  private readonly name: HTMLInputElement;
  private readonly header: HTMLInputElement;
  private readonly type: HTMLSelectElement;

  constructor(column: TableColumn, onRemove: (row: ColumnRow) => void) {
    this.name = input("column_name", column.name, { required: "", placeholder: "qty" });
    this.header = input("column_header", column.header, { required: "", placeholder: "Qty" });
    this.type = select("column_type", CELL_TYPES, column.type ?? "text");
    this.el = h(
      "div",
      { class: "row column-row" },
      field("Column", this.name),
      field("Header", this.header),
      field("Cell type", this.type),
      h("button", { type: "button", class: "link danger", onclick: () => onRemove(this) }, "Remove column"),
    );
  }

  read(): TableColumn {
    return { name: this.name.value.trim(), header: this.header.value.trim(), type: this.type.value as CellType };
  }
}

/** One field's row; `read` gives its FieldSpec back from what the user typed. */
class FieldRow {
  readonly el: HTMLFieldSetElement;
  private readonly name: HTMLInputElement;
  private readonly type: HTMLSelectElement;
  private readonly kind: HTMLSelectElement;
  private readonly match: HTMLSelectElement;
  private readonly separator: HTMLInputElement;
  private readonly separatorField: HTMLDivElement;
  private readonly ruleBox = h("div", { class: "rule" });
  private ruleInputs: Record<string, HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement> = {};
  private columns: ColumnRow[] = [];

  constructor(spec: FieldSpec, onRemove: (row: FieldRow) => void) {
    this.name = input("field_name", spec.name, { required: "", placeholder: "invoice_number" });
    this.type = select("field_type", FIELD_TYPES, spec.type);
    this.kind = select("rule_kind", RULE_KINDS, spec.rule.kind, {
      label: "label",
      regex: "regular expression",
      region: "page region",
      table: "table (line items)",
    });
    this.match = select("field_match", MATCH_MODES, spec.match ?? "first", MATCH_LABELS);
    this.separator = input("field_separator", spec.separator ?? "", { maxlength: "20", placeholder: "one space" });
    this.separatorField = field("Separator", this.separator);
    const showSeparator = () => {
      this.separatorField.hidden = this.match.value !== "join";
    };
    this.match.addEventListener("change", showSeparator);
    showSeparator();
    // A table field reads a table rule and the other way round: keep the two selects in step.
    this.kind.addEventListener("change", () => {
      if (this.kind.value === "table") this.type.value = "table";
      else if (this.type.value === "table") this.type.value = "text";
      this.showRule({ kind: this.kind.value } as FieldRule);
    });
    this.type.addEventListener("change", () => {
      if ((this.type.value === "table") !== (this.kind.value === "table")) {
        this.kind.value = this.type.value === "table" ? "table" : "label";
        this.showRule({ kind: this.kind.value } as FieldRule);
      }
    });
    this.showRule(spec.rule);
    this.el = h(
      "fieldset",
      { class: "field-row" },
      h("legend", {}, "Field"),
      h(
        "div",
        { class: "row" },
        field("Name", this.name),
        field("Type", this.type),
        field("Rule", this.kind),
        field("Value", this.match),
        this.separatorField,
      ),
      this.ruleBox,
      h("button", { type: "button", class: "link danger", onclick: () => onRemove(this) }, "Remove field"),
    );
  }

  private showTable(columns: TableColumn[], stop: string[]): void {
    const columnsBox = h("div", { class: "columns" });
    const addColumn = (column: TableColumn) => {
      const row = new ColumnRow(column, (r) => {
        this.columns.splice(this.columns.indexOf(r), 1);
        r.el.remove();
      });
      this.columns.push(row);
      columnsBox.append(row.el);
    };
    this.columns = [];
    for (const column of columns.length ? columns : [{ name: "", header: "" }]) addColumn(column);
    const stopLabels = h("textarea", { name: "rule_stop", rows: 2, placeholder: "Subtotal\nTotal" }, stop.join("\n"));
    this.ruleInputs.stop = stopLabels;
    this.ruleBox.replaceChildren(
      columnsBox,
      h("button", { type: "button", onclick: () => addColumn({ name: "", header: "" }) }, "Add column"),
      field("Stop labels (one per line)", stopLabels, "The table ends at a line holding one of them."),
      h("small", {}, "Rows are read under the line holding every column's header, over page breaks."),
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
    this.columns = [];
    switch (rule.kind) {
      case "table":
        this.showTable(rule.columns ?? [], rule.stop ?? []);
        break;
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
      case "table":
        rule = {
          kind: "table",
          columns: this.columns.map((c) => c.read()),
          stop: value("stop")
            .split("\n")
            .map((l) => l.trim())
            .filter((l) => l !== ""),
        };
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
    const spec: FieldSpec = { name: this.name.value.trim(), type: this.type.value as FieldType, rule };
    const match = this.match.value as MatchMode;
    if (match !== "first") spec.match = match;
    if (match === "join" && this.separator.value !== "") spec.separator = this.separator.value;
    return spec;
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
  // "" is unset: the API reads such dates day first and flags those that also read month first.
  const dateOrder = select<DateOrder | "">("date_order", ["", "day_month_year", "month_day_year"], initial?.date_order ?? "", {
    "": "not set (day first, flagged when ambiguous)",
    day_month_year: "day/month/year (15/03/2024)",
    month_day_year: "month/day/year (03/15/2024)",
  });
  const decimal = select<DecimalSeparator | "">("decimal_separator", ["", ".", ","], initial?.decimal_separator ?? "", {
    "": "inferred (1.234 is flagged)",
    ".": "point (1,234.56)",
    ",": "comma (1.234,56)",
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
    h(
      "div",
      { class: "row" },
      field("Name", name),
      field("Dates like 03/04/2024 read as", dateOrder),
      field("Decimal separator", decimal),
    ),
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
      await onSubmit({
        name: name.value.trim(),
        date_order: dateOrder.value === "" ? null : (dateOrder.value as DateOrder),
        decimal_separator: decimal.value === "" ? null : (decimal.value as DecimalSeparator),
        fields: rows.map((r) => r.read()),
      });
    } catch (error) {
      showError(error);
    } finally {
      submit.disabled = false;
    }
  });
  return { el: form };
}
