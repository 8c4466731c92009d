import type { MakeConfDocument } from './document.js';

/** The document's text, byte for byte: `renderMakeConf(parseMakeConf(x, f)) === x`. */
export function renderMakeConf(doc: MakeConfDocument): string {
  return doc.statements.map((s) => s.raw).join('');
}
