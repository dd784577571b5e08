/** ANSI colour codes (as in tracebacks) to HTML spans, for exported notebooks. */
import { escapeHtml } from '../display/table';

const COLORS = ['black', 'red', 'green', 'olive', 'blue', 'purple', 'teal', 'gray'];
const BRIGHT = ['gray', '#e22', '#2a2', '#b80', '#44f', '#b3b', '#2aa', 'white'];

/**
 * @example
 * ansiToHtml('\x1b[0;31mError\x1b[0m: x');   // '<span style="color: red">Error</span>: x'
 */
export function ansiToHtml(text: string): string {
  let html = '';
  let color: string | undefined;
  let bold = false;
  // eslint-disable-next-line no-control-regex
  const parts = text.split(/\x1b\[([0-9;]*)m/);
  for (let i = 0; i < parts.length; i++) {
    if (i % 2 === 0) {
      if (parts[i] === '') continue;
      const style = [color ? `color: ${color}` : '', bold ? 'font-weight: bold' : ''].filter(Boolean).join('; ');
      html += style ? `<span style="${style}">${escapeHtml(parts[i])}</span>` : escapeHtml(parts[i]);
      continue;
    }
    for (const code of (parts[i] || '0').split(';').map(Number)) {
      if (code === 0) {
        color = undefined;
        bold = false;
      } else if (code === 1) bold = true;
      else if (code === 22) bold = false;
      else if (code >= 30 && code <= 37) color = COLORS[code - 30];
      else if (code >= 90 && code <= 97) color = BRIGHT[code - 90];
      else if (code === 39) color = undefined;
    }
  }
  return html;
}
