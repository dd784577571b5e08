/**
 * A small Markdown renderer for exported notebooks: headings, paragraphs, emphasis, code (inline and
 * fenced), links, images, lists, block quotes, rules, pipe tables, and raw HTML passed through —
 * what tutorial notebooks use. Math stays as written.
 */
import { escapeHtml } from '../display/table';

function inline(text: string): string {
  const codes: string[] = [];
  let out = text.replace(/`([^`]+)`/g, (_, code: string) => `\u0000${codes.push(`<code>${escapeHtml(code)}</code>`) - 1}\u0000`);
  out = out.replace(/<(https?:\/\/[^>\s]+)>/g, (_, url: string) => `\u0001a href="${escapeHtml(url)}"\u0002${escapeHtml(url)}\u0001/a\u0002`);
  // Keep inline HTML tags; escape the rest.
  out = out.replace(/<(\/?[A-Za-z][^<>]*)>/g, '\u0001$1\u0002');
  out = escapeHtml(out).replace(/\u0001/g, '<').replace(/\u0002/g, '>');
  out = out
    .replace(/!\[([^\]]*)\]\(([^)\s]+)(?:\s+&#34;[^)]*&#34;)?\)/g, '<img alt="$1" src="$2">')
    .replace(/\[([^\]]+)\]\(([^)\s]+)(?:\s+&#34;[^)]*&#34;)?\)/g, '<a href="$2">$1</a>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/__([^_]+)__/g, '<strong>$1</strong>')
    .replace(/(^|[^*])\*([^*\s][^*]*)\*/g, '$1<em>$2</em>')
    .replace(/(^|\W)_([^_\s][^_]*)_(?=\W|$)/g, '$1<em>$2</em>')
    .replace(/ {2,}\n/g, '<br>\n');
  return out.replace(/\u0000(\d+)\u0000/g, (_, i: string) => codes[Number(i)]);
}

function tableCells(line: string): string[] {
  return line.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((cell) => cell.trim());
}

/**
 * @example
 * markdownToHtml('# Title\n\nSome *text*.');   // '<h1>Title</h1>\n<p>Some <em>text</em>.</p>'
 */
export function markdownToHtml(markdown: string): string {
  const lines = markdown.replace(/\r\n?/g, '\n').split('\n');
  const blocks: string[] = [];
  let i = 0;
  const isBlank = (line: string | undefined) => line === undefined || line.trim() === '';
  while (i < lines.length) {
    const line = lines[i];
    if (isBlank(line)) {
      i++;
      continue;
    }
    const fence = /^\s*(```|~~~)\s*([\w+-]*)/.exec(line);
    if (fence) {
      const body: string[] = [];
      for (i++; i < lines.length && !lines[i].trim().startsWith(fence[1]); i++) body.push(lines[i]);
      i++;
      blocks.push(`<pre><code${fence[2] ? ` class="language-${escapeHtml(fence[2])}"` : ''}>${escapeHtml(body.join('\n'))}</code></pre>`);
      continue;
    }
    const heading = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      blocks.push(`<h${heading[1].length}>${inline(heading[2])}</h${heading[1].length}>`);
      i++;
      continue;
    }
    if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
      blocks.push('<hr>');
      i++;
      continue;
    }
    if (/^\s*>/.test(line)) {
      const body: string[] = [];
      for (; i < lines.length && /^\s*>/.test(lines[i]); i++) body.push(lines[i].replace(/^\s*>\s?/, ''));
      blocks.push(`<blockquote>${markdownToHtml(body.join('\n'))}</blockquote>`);
      continue;
    }
    if (line.includes('|') && i + 1 < lines.length && /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/.test(lines[i + 1])) {
      const head = tableCells(line);
      const rows: string[][] = [];
      for (i += 2; i < lines.length && lines[i].includes('|') && !isBlank(lines[i]); i++) rows.push(tableCells(lines[i]));
      blocks.push(
        `<table><thead><tr>${head.map((cell) => `<th>${inline(cell)}</th>`).join('')}</tr></thead><tbody>` +
          rows.map((row) => `<tr>${row.map((cell) => `<td>${inline(cell)}</td>`).join('')}</tr>`).join('') +
          '</tbody></table>',
      );
      continue;
    }
    const item = /^(\s*)([-*+]|\d+[.)])\s+/;
    if (item.test(line)) {
      const ordered = /\d/.test(item.exec(line)![2]);
      const items: string[] = [];
      for (; i < lines.length && !isBlank(lines[i]); i++) {
        const match = item.exec(lines[i]);
        if (match && match[1].length < 2) items.push(lines[i].slice(match[0].length));
        else if (items.length > 0) items[items.length - 1] += `\n${lines[i].trim()}`;
      }
      const tag = ordered ? 'ol' : 'ul';
      blocks.push(`<${tag}>${items.map((text) => `<li>${inline(text)}</li>`).join('')}</${tag}>`);
      continue;
    }
    if (/^\s*<\/?[A-Za-z]/.test(line)) {
      const body: string[] = [];
      for (; i < lines.length && !isBlank(lines[i]); i++) body.push(lines[i]);
      blocks.push(body.join('\n'));
      continue;
    }
    const paragraph: string[] = [];
    for (; i < lines.length && !isBlank(lines[i]) && !/^(#{1,6}\s|\s*```|\s*>)/.test(lines[i]); i++) paragraph.push(lines[i]);
    blocks.push(`<p>${inline(paragraph.join('\n'))}</p>`);
  }
  return blocks.join('\n');
}
