// Submitting documents (drag and drop, or choose a file) and the jobs submitted in this session, with
// their live status. The API has no job list, so the ids live in sessionStorage.

import * as api from "../api";
import { field, formatTime, h, tableBox } from "../dom";
import { guarded, showError, showNotice } from "../notify";
import { navigate, type Lifetime } from "../router";
import * as session from "../session";
import { FINAL_JOB_STATUSES, type JobStatus, type Template } from "../types";
import { statusPill } from "./status";

const POLL_MS = 1500;

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

export async function jobsView(root: HTMLElement, _params: string[], life: Lifetime): Promise<void> {
  const submitSection = h("section", { class: "card" }, h("h1", {}, "Submit a document"), h("p", { class: "muted" }, "Loading templates…"));
  const listSection = h("section", { class: "card" }, h("h2", {}, "Jobs of this session"));
  root.append(submitSection, listSection);
  listSection.append(jobList(life));
  await guarded(async () => {
    const templates = await api.templates.list();
    if (!life.alive) return;
    submitSection.replaceChildren(h("h1", {}, "Submit a document"), submitForm(templates));
  });
}

function submitForm(templates: Template[]): HTMLElement {
  if (templates.length === 0) {
    return h("p", {}, "Create a template first: ", h("a", { href: "#/templates/new" }, "new template"), ".");
  }
  const template = h(
    "select",
    { name: "template_id" },
    templates.map((t) => h("option", { value: t.id }, t.name)),
  );
  const staticValues = h("textarea", { name: "static_values", rows: 2, placeholder: '{"company_name": "Acme Corp"}' });
  const chooser = h("input", { type: "file", name: "file", class: "visually-hidden", accept: ".pdf,.png,.jpg,.jpeg,.tif,.tiff,.webp,.zip" });
  const zone = h(
    "div",
    { class: "dropzone", tabindex: 0, role: "button", "aria-label": "Drop a file here or choose one" },
    h("strong", {}, "Drop a PDF, image or ZIP here"),
    h("span", {}, "or click to choose one (up to 6 MB)"),
  );
  const status = h("p", { class: "submit-status", "aria-live": "polite" });

  const submit = async (file: File) => {
    if (file.size > api.MAX_UPLOAD_BYTES) {
      showError(
        new Error(
          `“${file.name}” is ${megabytes(file.size)}; the API takes requests up to 6 MB, so the dashboard cannot send it. Split a ZIP into smaller ones, or send large files through the API's upload route.`,
        ),
      );
      return;
    }
    if (file.size === 0) {
      showError(new Error(`“${file.name}” is empty.`));
      return;
    }
    const form = new FormData();
    form.append("template_id", template.value);
    if (staticValues.value.trim()) {
      try {
        JSON.parse(staticValues.value);
      } catch {
        showError(new Error("Static values are not valid JSON (an object such as {\"company\": \"Acme\"})."));
        return;
      }
      form.append("static_values", staticValues.value.trim());
    }
    form.append("file_name", file.name);
    form.append("actual_image", file, file.name);
    status.textContent = `Sending ${file.name}…`;
    try {
      const accepted = await api.jobs.submit(form);
      session.rememberJob({
        job_id: accepted.job_id,
        template_id: accepted.template_id,
        file_name: file.name,
        submitted_at: new Date().toISOString(),
      });
      status.textContent = "";
      showNotice(`${file.name} accepted.`);
      navigate(`/jobs/${accepted.job_id}`);
    } catch (error) {
      status.textContent = "";
      showError(error);
    }
  };

  zone.addEventListener("click", () => chooser.click());
  zone.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      chooser.click();
    }
  });
  chooser.addEventListener("change", () => {
    const file = chooser.files?.[0];
    chooser.value = "";
    if (file) void submit(file);
  });
  for (const type of ["dragenter", "dragover"]) {
    zone.addEventListener(type, (event) => {
      event.preventDefault();
      zone.classList.add("over");
    });
  }
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    const files = (event as DragEvent).dataTransfer?.files;
    if (!files || files.length === 0) return;
    if (files.length > 1) {
      showError(new Error("Drop one file at a time (put several documents in a ZIP)."));
      return;
    }
    void submit(files[0]);
  });

  return h(
    "div",
    { class: "submit" },
    h("div", { class: "row" }, field("Template", template), field("Static values (JSON, optional)", staticValues)),
    zone,
    chooser,
    status,
  );
}

function jobList(life: Lifetime): HTMLElement {
  const jobs = session.submittedJobs();
  if (jobs.length === 0) return h("p", { class: "muted" }, "No jobs submitted in this session yet.");
  const rows = jobs.map((job) => {
    const state = h("td", {}, statusPill("NEW"));
    const docs = h("td", { class: "num" }, "");
    const row = h(
      "tr",
      { "data-job-id": job.job_id },
      h("td", {}, h("a", { href: `#/jobs/${job.job_id}` }, job.file_name)),
      h("td", {}, formatTime(job.submitted_at)),
      state,
      docs,
    );
    const show = (status: JobStatus) => {
      state.replaceChildren(statusPill(status.status));
      docs.textContent = `${status.documents_completed}/${status.documents_total ?? "?"}`;
    };
    const poll = async () => {
      try {
        const status = await api.jobs.get(job.job_id);
        if (!life.alive) return;
        show(status);
        if (!FINAL_JOB_STATUSES.includes(status.status)) schedule();
      } catch (error) {
        if (error instanceof api.ApiError && (error.status === 404 || error.status === 410)) {
          state.replaceChildren(h("span", { class: "pill off" }, error.status === 410 ? "expired" : "not found"));
        } else {
          showError(error);
        }
      }
    };
    const schedule = () => {
      const timer = window.setTimeout(() => void poll(), POLL_MS);
      life.onEnd(() => window.clearTimeout(timer));
    };
    void poll();
    return row;
  });
  return tableBox(
    h(
      "table",
      { "aria-label": "Jobs" },
      h("thead", {}, h("tr", {}, ["File", "Submitted", "Status", "Documents"].map((c) => h("th", {}, c)))),
      h("tbody", {}, rows),
    ),
  );
}
