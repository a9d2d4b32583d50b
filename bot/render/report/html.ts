/**
 * HTML as the report writes it: every piece of data goes through `text` (element content) or `attr`
 * (a quoted attribute value), never into markup by any other way. Characters no HTML document may hold
 * (C0 controls, lone surrogates) become U+FFFD so a hostile name cannot break the parser's state.
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

const FORBIDDEN =
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Text for element content or a quoted attribute: markup characters escaped, forbidden ones replaced. */
export function text(value: string | number): string {
  return String(value)
    .replace(FORBIDDEN, '\ufffd')
    .replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** A whole element whose content is text: `el('td', name)`. Tag and class are the renderer's own words. */
export function el(tag: string, content: string | number, className?: string): string {
  return `<${tag}${className ? ` class="${className}"` : ''}>${text(content)}</${tag}>`;
}

/** A table: a header row of the renderer's words and rows of already-rendered cells (`el('td', …)`). */
export function table(headers: readonly string[], rows: readonly string[][], className?: string): string {
  const head = `<thead><tr>${headers.map((h) => el('th', h)).join('')}</tr></thead>`;
  const body = `<tbody>${rows.map((cells) => `<tr>${cells.join('')}</tr>`).join('\n')}</tbody>`;
  return `<table${className ? ` class="${className}"` : ''}>${head}${body}</table>`;
}

/** A cell of text, `–` when there is nothing to say. */
export function cell(value: string | number | undefined, className?: string): string {
  return el('td', value === undefined || value === '' ? '–' : value, className);
}

/** `1,234` */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** `3 h 20 min`, `2 d 4 h`, `45 s`. */
export function span(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

/** `2026-12-01 14:03:22Z` from an ISO time: readable, still exact, no locale. */
export function when(iso: string | undefined): string {
  if (!iso) return '–';
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}Z` : iso;
}
