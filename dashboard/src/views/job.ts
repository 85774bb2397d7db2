// One job, live: its status and each document's (a ZIP has one per entry) with their deliveries, polled
// until everything settles; then the results as a table, and downloads as JSON or CSV.

import * as api from "../api";
import { actionButton, formatTime, h, tableBox } from "../dom";
import { guarded, showError } from "../notify";
import type { Lifetime } from "../router";
import * as session from "../session";
import { FINAL_JOB_STATUSES, type Delivery, type DocumentResult, type JobResults, type JobStatus } from "../types";
import { statusPill } from "./status";

const POLL_MS = 1000;

function deliverySummary(deliveries: Delivery[]): HTMLElement {
  if (deliveries.length === 0) return h("span", { class: "muted" }, "—");
  return h(
    "ul",
    { class: "deliveries" },
    deliveries.map((d) =>
      h(
        "li",
        {},
        h("a", { href: `#/webhooks/${d.endpoint_id}` }, d.endpoint_id.slice(0, 8)),
        " ",
        h("span", { class: `pill ${d.status === "succeeded" ? "ok" : d.status === "failed" ? "bad" : "busy"}`, "data-delivery": d.status }, d.status),
        d.last_status_code !== null ? ` ${d.last_status_code}` : "",
        d.attempts > 1 ? ` (${d.attempts} attempts)` : "",
      ),
    ),
  );
}

function statusSection(job: JobStatus): HTMLElement {
  const documents = job.documents.map((d) =>
    h(
      "tr",
      { "data-document-id": d.document_id },
      h("td", {}, d.file_name),
      h("td", {}, statusPill(d.status)),
      h("td", { class: "num" }, String(d.pages)),
      h("td", { class: "error" }, d.error ? `${d.error.code}: ${d.error.message}` : ""),
      h("td", {}, deliverySummary(d.deliveries)),
    ),
  );
  return h(
    "div",
    {},
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Status"),
      h("dd", { class: "job-status" }, statusPill(job.status)),
      h("dt", {}, "Documents"),
      h("dd", {}, `${job.documents_completed}/${job.documents_total ?? "?"}`),
      h("dt", {}, "Pages"),
      h("dd", {}, String(job.pages)),
      h("dt", {}, "Credits"),
      h("dd", {}, String(job.credits_charged)),
      h("dt", {}, "Submitted"),
      h("dd", {}, formatTime(job.created_at)),
      h("dt", {}, "Results kept until"),
      h("dd", {}, formatTime(job.expires_at)),
    ),
    job.error ? h("p", { class: "error" }, `${job.error.code}: ${job.error.message}`) : null,
    documents.length
      ? tableBox(
          h(
            "table",
            { "aria-label": "Documents" },
            h("thead", {}, h("tr", {}, ["Document", "Status", "Pages", "Error", "Deliveries"].map((c) => h("th", {}, c)))),
            h("tbody", {}, documents),
          ),
        )
      : null,
  );
}

/** Columns in the template's field order (JSON objects do not keep it); then any other result keys. */
function resultsTable(results: JobResults, fieldOrder: string[]): HTMLElement {
  const columns: string[] = [...fieldOrder];
  for (const doc of results.documents) {
    for (const name of Object.keys(doc.result ?? {})) if (!columns.includes(name)) columns.push(name);
  }
  const text = (value: unknown) => (value === null || value === undefined ? "" : typeof value === "object" ? JSON.stringify(value) : String(value));
  // A table field's rows as a small table; a list one item per line; anything else as text.
  const valueOf = (value: unknown): Node | string => {
    if (Array.isArray(value) && value.length > 0 && value.every((v) => v !== null && typeof v === "object" && !Array.isArray(v))) {
      const rows = value as Record<string, unknown>[];
      const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
      return h(
        "table",
        { class: "line-items" },
        h("thead", {}, h("tr", {}, keys.map((k) => h("th", {}, k)))),
        h("tbody", {}, rows.map((r) => h("tr", {}, keys.map((k) => h("td", {}, text(r[k])))))),
      );
    }
    if (Array.isArray(value)) return h("ul", { class: "values" }, value.map((v) => h("li", {}, text(v))));
    return text(value);
  };
  // What is known against a value: its warnings, each code with its message on hover.
  const warningsOf = (doc: DocumentResult, name: string) => {
    const warnings = doc.fields?.find((f) => f.name === name)?.warnings ?? [];
    if (warnings.length === 0) return null;
    return h(
      "ul",
      { class: "warnings", "aria-label": `Warnings of ${name}` },
      warnings.map((w) => h("li", { class: "pill busy", title: w.message, "data-warning": w.code }, `⚠ ${w.code}`)),
    );
  };
  return tableBox(
    h(
      "table",
      { "aria-label": "Results" },
      h("thead", {}, h("tr", {}, h("th", {}, "Document"), h("th", {}, "Status"), columns.map((c) => h("th", {}, c)))),
      h(
        "tbody",
        {},
        results.documents.map((doc) =>
          h(
            "tr",
            {},
            h("td", {}, doc.file_name),
            h("td", {}, statusPill(doc.status)),
            columns.map((c) =>
              h(
                "td",
                { "data-field": c },
                h("span", { class: "value", "data-value": c }, valueOf(doc.result?.[c])),
                warningsOf(doc, c),
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

/** The template's field names, or none when it was deleted since (its jobs keep their results). */
async function templateFields(templateId: string): Promise<string[]> {
  try {
    return (await api.templates.get(templateId)).fields.map((f) => f.name);
  } catch (error) {
    if (error instanceof api.ApiError && error.status === 404) return [];
    throw error;
  }
}

async function download(jobId: string, format: "json" | "csv"): Promise<void> {
  const blob = await api.jobs.download(jobId, format);
  const link = h("a", { href: URL.createObjectURL(blob), download: `pagewire-${jobId}.${format}` });
  document.body.append(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

export async function jobView(root: HTMLElement, params: string[], life: Lifetime): Promise<void> {
  const [id] = params;
  const statusBox = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  const resultsBox = h("div", {});
  const known = session.submittedJobs().find((j) => j.job_id === id);
  root.append(
    h(
      "section",
      { class: "card" },
      h("p", {}, h("a", { href: "#/jobs" }, "← Jobs")),
      h("h1", {}, known?.file_name ?? "Job"),
      h("p", { class: "muted" }, "Job ID ", h("code", {}, id)),
      statusBox,
    ),
    h(
      "section",
      { class: "card" },
      h(
        "div",
        { class: "heading" },
        h("h2", {}, "Results"),
        h(
          "div",
          { class: "actions" },
          actionButton("Download JSON", () => guarded(() => download(id, "json"))),
          actionButton("Download CSV", () => guarded(() => download(id, "csv"))),
        ),
      ),
      resultsBox,
    ),
  );
  resultsBox.append(h("p", { class: "muted" }, "Results appear when the job has finished."));

  let resultsShown = false;
  const poll = async () => {
    let job: JobStatus;
    try {
      job = await api.jobs.get(id);
    } catch (error) {
      if (!life.alive) return;
      statusBox.replaceChildren(h("p", { class: "error" }, error instanceof api.ApiError && error.status === 410 ? "This job's results have expired (they are kept for 24 hours)." : "Cannot read this job."));
      showError(error);
      return;
    }
    if (!life.alive) return;
    statusBox.replaceChildren(statusSection(job));
    const finished = FINAL_JOB_STATUSES.includes(job.status);
    if (finished && !resultsShown) {
      resultsShown = true;
      try {
        const [results, fieldOrder] = await Promise.all([api.jobs.results(id), templateFields(job.template_id)]);
        resultsBox.replaceChildren(resultsTable(results, fieldOrder));
      } catch (error) {
        showError(error);
      }
    }
    // Keep watching while deliveries are still pending (retries), so their outcome shows up here too.
    const pending = job.documents.some((d) => d.deliveries.some((x) => x.status === "pending"));
    if (!finished || pending) {
      const timer = window.setTimeout(() => void poll().catch(showError), finished ? POLL_MS * 3 : POLL_MS);
      life.onEnd(() => window.clearTimeout(timer));
    }
  };
  await poll();
}
