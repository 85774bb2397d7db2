// Reading a preview's words the way a person reads the page: lines, labels and the values beside or
// below them. Pure functions over the API's boxes (fractions of the page), so the studio's guesses are
// the same on a PDF's text layer and on OCR'd words.

import type { FieldType } from "../types";

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Word {
  text: string;
  box: Box;
  confidence: number;
}

/** A word and where it is: its page (1-based) and its index among the page's words. */
export interface PlacedWord extends Word {
  page: number;
  index: number;
}

export type Direction = "right" | "below";

export interface LabelGuess {
  label: string;
  direction: Direction;
  /** The words the label is made of. */
  labelWords: PlacedWord[];
  /** The words of the value, when the page shows one. */
  valueWords: PlacedWord[];
}

const centreY = (b: Box) => b.y + b.height / 2;

/** The page's words in lines, top to bottom, each line left to right. */
export function lines(words: PlacedWord[]): PlacedWord[][] {
  const sorted = [...words].sort((a, b) => centreY(a.box) - centreY(b.box));
  const out: { centre: number; height: number; words: PlacedWord[] }[] = [];
  for (const word of sorted) {
    const line = out.find(
      (l) => Math.abs(l.centre - centreY(word.box)) < Math.min(l.height, word.box.height) * 0.5,
    );
    if (line) line.words.push(word);
    else out.push({ centre: centreY(word.box), height: word.box.height, words: [word] });
  }
  return out.map((l) => l.words.sort((a, b) => a.box.x - b.box.x));
}

export const joinWords = (words: PlacedWord[]) => words.map((w) => w.text).join(" ");

const MONTHS =
  /\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}\b|\b\d{1,2}\.?\s+(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{4}\b/i;

/** The type a value's text reads as: date, money, number, or text. */
export function guessType(text: string): Exclude<FieldType, "table"> {
  const t = text.trim();
  if (/^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}$/.test(t) || MONTHS.test(t)) return "date";
  if (/[$€£¥₹]|\b(usd|eur|gbp|chf|jpy)\b/i.test(t) && /\d/.test(t)) return "money";
  if (/^-?\d{1,3}([ ,.']\d{3})*[.,]\d{2}$/.test(t)) return "money";
  if (/^-?[\d ,.']*\d$/.test(t)) return "number";
  return "text";
}

/** A field name from a label: lower-case words joined by `_`. */
export function fieldName(label: string, taken: string[]): string {
  const base =
    label
      .toLowerCase()
      .replace(/[^\p{L}\p{N}]+/gu, "_")
      .replace(/^_+|_+$/g, "") || "field";
  let name = base;
  for (let n = 2; taken.includes(name); n++) name = `${base}_${n}`;
  return name;
}

const endsLabel = (w: PlacedWord) => /[:：]$/.test(w.text);

function lineOf(all: PlacedWord[][], word: PlacedWord): PlacedWord[] | undefined {
  return all.find((l) => l.includes(word));
}

/** The words of the line above `line` that sit over `span` (horizontally overlapping it). */
function above(all: PlacedWord[][], line: PlacedWord[], span: Box): PlacedWord[] {
  const i = all.indexOf(line);
  if (i <= 0) return [];
  return all[i - 1].filter((w) => w.box.x < span.x + span.width && w.box.x + w.box.width > span.x);
}

/** The run of words that ends a label at `end` on its line: back to the line's start or a previous value. */
function labelRun(line: PlacedWord[], end: number): PlacedWord[] {
  let start = end;
  while (start > 0 && !endsLabel(line[start - 1])) start--;
  // A label is a few words; more is a sentence with a colon at its end.
  return line.slice(Math.max(start, end - 3), end + 1);
}

/** The label a click on `word` means: a word ending in a colon takes the words before it on its line
 * (back to the line's start or the previous label); any other word is a label on its own. */
export function labelAt(words: PlacedWord[], word: PlacedWord): PlacedWord[] {
  if (!endsLabel(word)) return [word];
  const line = lineOf(lines(words), word);
  return line ? labelRun(line, line.indexOf(word)) : [word];
}

/**
 * What a label made of `run` points at: the words after it on its line (up to the next label) read to
 * its right; with nothing there, the words below it.
 */
export function guessFromLabel(words: PlacedWord[], run: PlacedWord[]): LabelGuess {
  const all = lines(words);
  const last = run[run.length - 1];
  const line = lineOf(all, last) ?? run;
  const after = line.slice(line.indexOf(last) + 1);
  const stop = after.findIndex(endsLabel);
  const right = stop < 0 ? after : after.slice(0, stop);
  const label = joinWords(run);
  if (right.length) return { label, direction: "right", labelWords: run, valueWords: right };
  const i = all.indexOf(line);
  const span = unionBox(run);
  // A value below its label starts under it, and may be wider than it.
  const reach = span.x + span.width * 2;
  const next = i >= 0 && i + 1 < all.length ? all[i + 1] : [];
  const below = next.filter((w) => w.box.x < reach && w.box.x + w.box.width > span.x);
  return { label, direction: "below", labelWords: run, valueWords: below };
}

/** The label nearest a value: a word ending in a colon left of it on its line, else the line above. */
export function guessFromValue(words: PlacedWord[], value: PlacedWord[]): LabelGuess | null {
  const all = lines(words);
  const first = value[0];
  const line = lineOf(all, first);
  if (!line) return null;
  const at = line.indexOf(first);
  for (let i = at - 1; i >= 0; i--) {
    if (endsLabel(line[i])) {
      const run = labelRun(line, i);
      return { label: joinWords(run), direction: "right", labelWords: run, valueWords: value };
    }
  }
  const over = above(all, line, unionBox(value));
  if (over.length) {
    return { label: joinWords(over), direction: "below", labelWords: over, valueWords: value };
  }
  return null;
}

/** Every label/value pair the page shows: text ending in a colon with a value after or below it, and a
 * short heading set above a date, an amount or a number. */
export function findFields(words: PlacedWord[]): LabelGuess[] {
  const all = lines(words);
  const out: LabelGuess[] = [];
  const seen = new Set<string>();
  const add = (g: LabelGuess) => {
    const key = g.label.toLowerCase();
    if (g.valueWords.length && !seen.has(key)) {
      seen.add(key);
      out.push(g);
    }
  };
  for (const [i, line] of all.entries()) {
    line.forEach((word, at) => {
      if (endsLabel(word)) add(guessFromLabel(words, labelRun(line, at)));
    });
    if (i + 1 < all.length && line.length <= 3 && !line.some(endsLabel)) {
      const under = all[i + 1].filter((w) => {
        const span = unionBox(line);
        return w.box.x < span.x + span.width && w.box.x + w.box.width > span.x;
      });
      if (under.length && guessType(joinWords(under)) !== "text") {
        add({ label: joinWords(line), direction: "below", labelWords: line, valueWords: under });
      }
    }
  }
  return out;
}

export function unionBox(words: { box: Box }[]): Box {
  const x = Math.min(...words.map((w) => w.box.x));
  const y = Math.min(...words.map((w) => w.box.y));
  const right = Math.max(...words.map((w) => w.box.x + w.box.width));
  const bottom = Math.max(...words.map((w) => w.box.y + w.box.height));
  return { x, y, width: right - x, height: bottom - y };
}

/** The words of a page inside a rectangle (their centre in it). */
export function wordsIn(words: PlacedWord[], r: Box): PlacedWord[] {
  return words.filter((w) => {
    const cx = w.box.x + w.box.width / 2;
    const cy = w.box.y + w.box.height / 2;
    return cx >= r.x && cx <= r.x + r.width && cy >= r.y && cy <= r.y + r.height;
  });
}
