// The template studio: upload a sample, see what the engine read on each page, and build the template
// by pointing at it. A click on a word makes a label (shift-click extends it along the line), a click on
// a value finds the label nearest it, a drag draws a region, and a pattern can be typed. After every
// change the unsaved template runs on the sample (POST /templates/preview) and each field's value is
// listed and outlined on its page. Save creates or updates the template.

import * as api from "../api";
import { actionButton, field, h, replace } from "../dom";
import { describe, showNotice } from "../notify";
import type { Lifetime } from "../router";
import {
  fieldName,
  findFields,
  guessFromLabel,
  guessFromValue,
  guessType,
  joinWords,
  labelAt,
  wordsIn,
  type Box,
  type LabelGuess,
  type PlacedWord,
} from "../studio/layout";
import { fieldsTable, typeSelect } from "../studio/fields";
import { place, showPages, type ShownPage } from "../studio/pages";
import type { DateOrder, FieldSpec, Preview, TemplateInput } from "../types";

type Mode = "label" | "value" | "region";

/** A sample is sent as base64 in JSON: 4.4 MB of file fits the API's 6 MB request. */
const MAX_SAMPLE_BYTES = Math.floor((api.MAX_REQUEST_BYTES * 3) / 4) - 16 * 1024;

class Studio {
  templateId: string | null = null;
  name = "New template";
  dateOrder: DateOrder | null = null;
  fields: FieldSpec[] = [];
  file: File | null = null;
  data = "";
  preview: Preview | null = null;
  words: PlacedWord[] = [];
  pages: ShownPage[] = [];
  mode: Mode = "label";
  selection: PlacedWord[] = [];
  proposal: FieldSpec | null = null;
  suggestions: LabelGuess[] = [];
  private runs = 0;

  readonly sampleError = h("p", { class: "error studio-error", role: "alert" });
  readonly panelError = h("p", { class: "error studio-error", role: "alert" });
  readonly pagesEl = h("div", { class: "pages" });
  readonly proposalEl = h("div", { class: "proposal" });
  readonly suggestionsEl = h("div", { class: "suggestions" });
  readonly fieldsEl = h("div", { class: "fields" });
  readonly status = h("p", { class: "muted", role: "status" });

  constructor(private readonly life: Lifetime) {}

  input(): TemplateInput {
    return { name: this.name.trim() || "New template", fields: this.fields, date_order: this.dateOrder, decimal_separator: null };
  }

  async load(file: File): Promise<void> {
    replace(this.sampleError);
    if (file.size > MAX_SAMPLE_BYTES) {
      replace(this.sampleError, `The sample is ${file.size} bytes; the studio takes up to ${MAX_SAMPLE_BYTES} bytes.`);
      return;
    }
    this.file = file;
    this.data = await new Promise<string>((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result));
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(file);
    });
    replace(this.status, "Reading the sample…");
    try {
      const preview = await api.templates.preview(this.data, this.input());
      if (!this.life.alive) return;
      this.preview = preview;
      this.words = preview.pages.flatMap((p) => p.words.map((w, index) => ({ ...w, page: p.number, index })));
      this.pages = await showPages(file, preview);
    } catch (error) {
      replace(this.status);
      replace(this.sampleError, describe(error));
      return;
    }
    replace(this.pagesEl, this.pages.map((p) => p.el));
    this.pages.forEach((p) => this.drawWords(p));
    this.selection = [];
    this.proposal = null;
    this.suggestions = [];
    this.redraw();
  }

  /** Runs the template on the sample again and shows the fields. */
  async refresh(): Promise<void> {
    this.redraw();
    if (!this.data) return;
    const run = ++this.runs;
    replace(this.panelError);
    replace(this.status, "Updating values…");
    try {
      const preview = await api.templates.preview(this.data, this.input());
      if (run !== this.runs || !this.life.alive) return;
      this.preview = preview;
      replace(this.status, `${this.fields.length} field${this.fields.length === 1 ? "" : "s"}, values from the sample.`);
    } catch (error) {
      if (run !== this.runs) return;
      replace(this.status);
      replace(this.panelError, describe(error));
    }
    this.redraw();
  }

  pageWords(page: number): PlacedWord[] {
    return this.words.filter((w) => w.page === page);
  }

  drawWords(page: ShownPage): void {
    for (const word of this.pageWords(page.number)) {
      const button = h("button", {
        type: "button",
        class: "word",
        "data-word": word.text,
        "aria-label": word.text,
        title: `${word.text} (${Math.round(word.confidence * 100)}%)`,
      });
      button.addEventListener("click", (event) => this.pick(word, event.shiftKey));
      page.overlay.append(place(button, word.box));
    }
    page.overlay.addEventListener("pointerdown", (event) => this.drag(page, event));
  }

  /** A click on a word: a label (or a value) of a new field; shift extends the run along its line. */
  pick(word: PlacedWord, extend: boolean): void {
    if (this.mode === "region") return;
    const last = this.selection[this.selection.length - 1];
    if (extend && last && last.page === word.page) {
      const line = this.pageWords(word.page).filter(
        (w) => Math.abs(w.box.y + w.box.height / 2 - (last.box.y + last.box.height / 2)) < last.box.height / 2,
      );
      const [from, to] = [this.selection[0], word].sort((a, b) => a.box.x - b.box.x);
      this.selection = line.filter((w) => w.box.x >= from.box.x && w.box.x <= to.box.x).sort((a, b) => a.box.x - b.box.x);
    } else {
      this.selection = this.mode === "label" ? labelAt(this.pageWords(word.page), word) : [word];
    }
    replace(this.panelError);
    const words = this.pageWords(word.page);
    const guess = this.mode === "label" ? guessFromLabel(words, this.selection) : guessFromValue(words, this.selection);
    if (!guess) {
      this.proposal = null;
      replace(this.panelError, "No label near this value: drag a region around it, or type a pattern.");
    } else {
      this.proposal = this.fromGuess(guess);
    }
    this.redraw();
  }

  fromGuess(guess: LabelGuess): FieldSpec {
    const label = guess.label;
    return {
      name: fieldName(label.replace(/[:：]\s*$/, ""), this.fields.map((f) => f.name)),
      type: guess.valueWords.length ? guessType(joinWords(guess.valueWords)) : "text",
      rule: { kind: "label", label, direction: guess.direction },
    };
  }

  /** A drag in region mode draws the rectangle of a region rule. */
  drag(page: ShownPage, start: PointerEvent): void {
    if (this.mode !== "region" || start.button !== 0) return;
    start.preventDefault();
    const area = page.overlay.getBoundingClientRect();
    const at = (e: PointerEvent) => ({
      x: Math.min(1, Math.max(0, (e.clientX - area.left) / area.width)),
      y: Math.min(1, Math.max(0, (e.clientY - area.top) / area.height)),
    });
    const from = at(start);
    const rect = h("div", { class: "drawn" });
    page.overlay.append(rect);
    let box: Box = { ...from, width: 0, height: 0 };
    const move = (e: PointerEvent) => {
      const to = at(e);
      box = { x: Math.min(from.x, to.x), y: Math.min(from.y, to.y), width: Math.abs(to.x - from.x), height: Math.abs(to.y - from.y) };
      place(rect, box);
    };
    const up = () => {
      window.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", up);
      rect.remove();
      if (box.width < 0.005 || box.height < 0.005) return;
      const inside = wordsIn(this.pageWords(page.number), box);
      const near = inside.length ? guessFromValue(this.pageWords(page.number), inside) : null;
      const taken = this.fields.map((f) => f.name);
      this.proposal = {
        name: fieldName(near ? near.label.replace(/[:：]\s*$/, "") : "region", taken),
        type: inside.length ? guessType(joinWords(inside)) : "text",
        rule: { kind: "region", page: page.number, ...roundBox(box) },
      };
      this.selection = inside;
      this.redraw();
    };
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
  }

  add(spec: FieldSpec): void {
    if (this.fields.some((f) => f.name === spec.name)) spec.name = fieldName(spec.name, this.fields.map((f) => f.name));
    this.fields.push(spec);
    this.proposal = null;
    this.selection = [];
    void this.refresh();
  }

  findFields(): void {
    replace(this.panelError);
    if (!this.preview) {
      replace(this.panelError, "Upload a sample first.");
      return;
    }
    const used = new Set(this.fields.map((f) => (f.rule.kind === "label" ? f.rule.label.toLowerCase() : "")));
    this.suggestions = this.preview.pages
      .flatMap((p) => findFields(this.pageWords(p.number)))
      .filter((g) => !used.has(g.label.toLowerCase()));
    if (!this.suggestions.length) replace(this.panelError, "No label and value pairs found on the sample.");
    this.redraw();
  }

  redraw(): void {
    for (const page of this.pages) {
      page.overlay.querySelectorAll(".value-box").forEach((el) => el.remove());
      page.overlay.querySelectorAll(".word").forEach((el) => el.classList.remove("selected"));
    }
    for (const word of this.selection) {
      const page = this.pages.find((p) => p.number === word.page);
      page?.overlay.querySelectorAll<HTMLElement>(".word")[word.index]?.classList.add("selected");
    }
    for (const found of this.preview?.fields ?? []) {
      const page = this.pages.find((p) => p.number === found.page);
      if (!page || !found.box) continue;
      page.overlay.append(place(h("div", { class: "value-box", "data-field": found.name, title: found.name }, h("span", {}, found.name)), found.box));
    }
    this.drawProposal();
    this.drawSuggestions();
    const found = this.preview?.fields ?? [];
    replace(this.fieldsEl, fieldsTable(this.fields, found, () => void this.refresh()));
  }

  drawProposal(): void {
    const spec = this.proposal;
    if (!spec) {
      replace(this.proposalEl);
      return;
    }
    const name = h("input", { value: spec.name });
    name.addEventListener("change", () => (spec.name = name.value.trim() || spec.name));
    const rule = spec.rule;
    const direction =
      rule.kind === "label"
        ? field(
            "Value",
            (() => {
              const select = h(
                "select",
                {},
                h("option", { value: "right", selected: rule.direction !== "below" }, "to the right of the label"),
                h("option", { value: "below", selected: rule.direction === "below" }, "below the label"),
              );
              select.addEventListener("change", () => (rule.direction = select.value as "right" | "below"));
              return select;
            })(),
          )
        : null;
    replace(
      this.proposalEl,
      h(
        "section",
        { class: "card inset", "aria-label": "New field" },
        h("h3", {}, rule.kind === "label" ? `Label “${rule.label}”` : rule.kind === "region" ? "Region" : "Pattern"),
        h("div", { class: "row" }, field("Field name", name), field("Type", typeSelect(spec.type, (t) => (spec.type = t), "Type of the new field")), direction),
        h(
          "div",
          { class: "actions" },
          actionButton("Add field", () => this.add(spec), { class: "primary" }),
          actionButton("Cancel", () => {
            this.proposal = null;
            this.selection = [];
            this.redraw();
          }),
        ),
      ),
    );
  }

  drawSuggestions(): void {
    if (!this.suggestions.length) {
      replace(this.suggestionsEl);
      return;
    }
    const items = this.suggestions.map((guess) => {
      const spec = this.fromGuess(guess);
      const dismiss = () => {
        this.suggestions = this.suggestions.filter((g) => g !== guess);
        this.redraw();
      };
      return h(
        "li",
        { "data-suggestion": guess.label },
        h("span", {}, `${guess.label} → `, h("strong", {}, joinWords(guess.valueWords)), ` (${spec.type}, ${guess.direction === "below" ? "below" : "right"})`),
        h("button", { type: "button", "aria-label": `Accept ${guess.label}`, onclick: () => ((this.suggestions = this.suggestions.filter((g) => g !== guess)), this.add(spec)) }, "Accept"),
        h("button", { type: "button", class: "link", "aria-label": `Dismiss ${guess.label}`, onclick: dismiss }, "Dismiss"),
      );
    });
    replace(this.suggestionsEl, h("section", { class: "card inset", "aria-label": "Suggested fields" }, h("h3", {}, "Suggested fields"), h("ul", {}, items)));
  }

  setMode(mode: Mode, root: HTMLElement): void {
    this.mode = mode;
    this.selection = [];
    this.proposal = null;
    root.dataset.mode = mode;
    this.redraw();
  }

  async save(): Promise<void> {
    replace(this.panelError);
    try {
      if (this.templateId) {
        await api.templates.replace(this.templateId, this.input());
      } else {
        const created = await api.templates.create(this.input());
        this.templateId = created.id;
        // The address now names the template, without re-rendering the studio (no hashchange).
        history.replaceState(null, "", `#/templates/${created.id}/studio`);
      }
      showNotice(`Template “${this.input().name}” saved.`);
    } catch (error) {
      replace(this.panelError, describe(error));
    }
  }
}

function roundBox(b: Box): Box {
  const r = (n: number) => Math.round(n * 1000) / 1000;
  return { x: r(b.x), y: r(b.y), width: r(b.width), height: r(b.height) };
}

export async function studioView(root: HTMLElement, params: string[], life: Lifetime): Promise<void> {
  const studio = new Studio(life);
  const [id] = params;
  if (id) {
    try {
      const template = await api.templates.get(id);
      studio.templateId = template.id;
      studio.name = template.name;
      studio.dateOrder = template.date_order;
      studio.fields = template.fields;
    } catch (error) {
      root.append(h("section", { class: "card" }, h("p", { class: "error", role: "alert" }, describe(error))));
      return;
    }
  }
  if (!life.alive) return;
  const upload = h("input", { type: "file", accept: "application/pdf,image/png,image/jpeg,image/tiff,image/webp" });
  upload.addEventListener("change", () => {
    const file = upload.files?.[0];
    if (file) void studio.load(file);
  });
  const name = h("input", { value: studio.name });
  name.addEventListener("change", () => (studio.name = name.value));
  const modes = h(
    "fieldset",
    { class: "modes" },
    h("legend", {}, "A click or drag on the page"),
    ([
      ["label", "clicks a label"],
      ["value", "clicks a value"],
      ["region", "drags a region"],
    ] as [Mode, string][]).map(([mode, text]) => {
      const radio = h("input", { type: "radio", name: "studio-mode", value: mode, checked: mode === studio.mode });
      radio.addEventListener("change", () => studio.setMode(mode, root));
      return h("label", {}, radio, ` ${text}`);
    }),
  );
  const pattern = h("input", { placeholder: "Total:\\s*(\\S+)", "aria-label": "Pattern" });
  const addPattern = actionButton("Add pattern field", () => {
    const text = pattern.value.trim();
    if (!text) {
      replace(studio.panelError, "Type a regular expression first.");
      return;
    }
    studio.add({ name: fieldName("pattern", studio.fields.map((f) => f.name)), type: "text", rule: { kind: "regex", pattern: text } });
    pattern.value = "";
  });
  root.dataset.mode = studio.mode;
  root.append(
    h(
      "section",
      { class: "card studio" },
      h("p", {}, h("a", { href: id ? `#/templates/${id}` : "#/templates" }, id ? "← Template" : "← Templates")),
      h("div", { class: "heading" }, h("h1", {}, "Template studio"), actionButton("Save template", () => studio.save(), { class: "primary" })),
      h("div", { class: "row" }, field("Template name", name), field("Sample (PDF or image)", upload, "Read as a job would read it; nothing is stored.")),
      studio.sampleError,
      h(
        "div",
        { class: "studio-grid" },
        h("div", { class: "studio-pages" }, modes, studio.pagesEl),
        h(
          "div",
          { class: "studio-panel" },
          h("div", { class: "actions" }, actionButton("Find fields", () => studio.findFields())),
          studio.panelError,
          studio.proposalEl,
          studio.suggestionsEl,
          h("div", { class: "row" }, field("Or a regular expression", pattern), addPattern),
          h("h2", {}, "Fields"),
          studio.status,
          studio.fieldsEl,
        ),
      ),
    ),
  );
  studio.redraw();
}
