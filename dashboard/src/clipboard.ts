// Copying ids and secrets. The Clipboard API needs a secure context (https or localhost); elsewhere the
// text is selected in a field so the user can copy it by hand.

import { showNotice } from "./notify";

export async function copyText(text: string, what: string, fallbackField?: HTMLInputElement): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    showNotice(`${what} copied.`);
  } catch {
    if (fallbackField) {
      fallbackField.select();
      showNotice(`Press Ctrl+C (or ⌘C) to copy the ${what.toLowerCase()}.`);
    } else {
      showNotice(`Could not copy the ${what.toLowerCase()}: the browser refused.`);
    }
  }
}
