// The sample's pages as the studio shows them: a PDF page rendered by pdf.js, an image as it is (a TIFF,
// which browsers cannot show, as a blank page of its size), and over each an overlay where every box of
// the API (fractions of the page) is placed in percentages, so it scales with the page.

import { GlobalWorkerOptions, getDocument } from "pdfjs-dist";
import { h } from "../dom";
import type { Preview } from "../types";

// The worker is a file next to app.js (build.mjs copies it): same origin, as the page's CSP requires.
GlobalWorkerOptions.workerSrc = new URL("pdf.worker.min.mjs", document.baseURI).href;

export interface ShownPage {
  number: number;
  /** Holds the picture and the overlay; boxes go in `overlay`. */
  el: HTMLElement;
  overlay: HTMLElement;
}

/** Rendering width of a PDF page in CSS pixels (times the device's pixel ratio for the canvas). */
const RENDER_WIDTH = 900;

export async function showPages(file: File, preview: Preview): Promise<ShownPage[]> {
  const shown = preview.pages.map((p) => {
    const overlay = h("div", { class: "overlay", "data-page": p.number });
    const el = h("div", { class: "page", "aria-label": `Page ${p.number}` }, overlay);
    // Through the CSSOM: the page's CSP refuses inline style attributes.
    el.style.aspectRatio = String(p.aspect);
    return { number: p.number, el, overlay };
  });
  if (preview.file_kind === "pdf") {
    const task = getDocument({ data: new Uint8Array(await file.arrayBuffer()) });
    const pdf = await task.promise;
    for (const page of shown) {
      const pdfPage = await pdf.getPage(page.number);
      const base = pdfPage.getViewport({ scale: 1 });
      const ratio = window.devicePixelRatio || 1;
      const viewport = pdfPage.getViewport({ scale: (RENDER_WIDTH / base.width) * ratio });
      const canvas = h("canvas", { width: Math.round(viewport.width), height: Math.round(viewport.height) });
      await pdfPage.render({ canvas, viewport }).promise;
      page.el.prepend(canvas);
    }
    await task.destroy();
  } else if (preview.file_kind !== "tiff") {
    const url = URL.createObjectURL(file);
    for (const page of shown) page.el.prepend(h("img", { src: url, alt: `Page ${page.number} of the sample` }));
  }
  return shown;
}

/** A box of the overlay, placed by the API's fractions. */
export function place(el: HTMLElement, box: { x: number; y: number; width: number; height: number }): HTMLElement {
  el.style.left = `${box.x * 100}%`;
  el.style.top = `${box.y * 100}%`;
  el.style.width = `${box.width * 100}%`;
  el.style.height = `${box.height * 100}%`;
  return el;
}
