/**
 * Escapes `&`, `<`, `>`, `"` and `'` for HTML text and attribute values.
 *
 * @example
 * escapeHtml('<b>"x"</b>'); // '&#60;b&#62;&#34;x&#34;&#60;/b&#62;'
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** The class of outputs that are there for terminals (or for files) only, collapsed in browsers. */
export const HIDDEN_OUTPUT_CLASS = 'cellfit-hidden-output';

/**
 * HTML that makes its own output area take no room in the browser front ends we know: the classic
 * Notebook and its nbconvert template (`.output_area`), JupyterLab, Notebook 7 and nbconvert's lab
 * template (`.jp-OutputArea-child`). Elsewhere it is an empty line.
 */
export function hiddenOutputHtml(): string {
  const areas = ['.output_area', '.jp-OutputArea-child'].map((area) => `${area}:has(.${HIDDEN_OUTPUT_CLASS})`).join(', ');
  return `<style>${areas} { display: none; }</style><span class="${HIDDEN_OUTPUT_CLASS}"></span>`;
}

/**
 * The bundle of a line meant for terminals only (`jupyter console`, which prints `text/plain` and
 * ignores in-place updates): browsers, which pick `text/html`, show nothing for it.
 */
export function terminalOnlyBundle(text: string): { readonly 'text/plain': string; readonly 'text/html': string } {
  return { 'text/plain': text, 'text/html': hiddenOutputHtml() };
}
