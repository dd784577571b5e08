/**
 * is_complete_request without TypeScript: a scanner of brackets, strings, template literals,
 * comments, regular expressions and dangling operators, for the socket thread to answer while the
 * main thread is still loading TypeScript at start-up. jupyter console sends is_complete_request
 * right after kernel_info_reply and gives up on it after 1 s for the whole session, and loading
 * TypeScript and parsing its declarations blocks the main thread for longer than that.
 *
 * Once cells can run, the main thread answers with TypeScript's parser (kernel/kernel.ts). The
 * scanner agrees with it on what is unfinished — an open bracket, block, string continuation,
 * substitution or comment, a trailing operator or `if (…)` without its statement — and on
 * unbalanced closing brackets, which are invalid. What only a parser sees (`const = 5;`) it calls
 * complete: the cell then runs and reports the syntax error, as an invalid cell does in a console.
 */

/** The content of an is_complete_reply. */
export interface Completeness {
  readonly status: 'complete' | 'incomplete' | 'invalid';
  /** For `incomplete`: the indent of the next line. */
  readonly indent?: string;
}

const OPENERS: Readonly<Record<string, string>> = { ')': '(', ']': '[', '}': '{' };
/** Keywords after which an expression or a declaration must follow. */
const DANGLING_WORDS = new Set([
  'else', 'do', 'new', 'typeof', 'void', 'delete', 'await', 'yield', 'in', 'instanceof', 'extends', 'implements',
  'const', 'let', 'var', 'function', 'class', 'interface', 'enum', 'import', 'export', 'from', 'case', 'throw', 'keyof',
]);
/** Keywords whose parenthesised head needs a statement after it. */
const HEAD_WORDS = new Set(['if', 'for', 'while', 'with']);
/** Tokens after which `/` starts a regular expression rather than a division. */
const BEFORE_REGEX_WORDS = new Set(['return', 'typeof', 'case', 'do', 'else', 'in', 'of', 'new', 'delete', 'void', 'throw', 'await', 'yield', 'instanceof']);
const WORD = /[\w$\u0080-\uffff]/;
const OPERATOR = /[+\-*/%=&|^<>!?:,.~;@#]/;

/**
 * Whether `code` (a cell, magics included) is complete, incomplete (a console should ask for
 * another line) or invalid.
 *
 * @example
 * scanCompleteness('function f() {');   // { status: 'incomplete', indent: '  ' }
 * scanCompleteness('1 + 1');            // { status: 'complete' }
 * scanCompleteness('}');                // { status: 'invalid' }
 */
export function scanCompleteness(code: string): Completeness {
  const lines = code.split('\n');
  const first = lines.findIndex((line) => line.trim() !== '');
  if (first >= 0 && /^\s*%%/.test(lines[first])) {
    if (!/^\s*%%[A-Za-z_]/.test(lines[first])) return { status: 'invalid' };
    // Like IPython (and kernel/kernel.ts): a cell magic takes lines until an empty one.
    const body = lines.slice(first + 1).join('\n');
    return body === '' || !/\n\s*$/.test(code) ? { status: 'incomplete', indent: '' } : { status: 'complete' };
  }
  const unfinished = scan(code);
  if (unfinished === 'invalid') return { status: 'invalid' };
  // tslab's rule, kept by the TypeScript check: text ending in a blank line is submitted as it is.
  if (/(^|\n)\s*\n\s*$/.test(code)) return unfinished ? { status: 'invalid' } : { status: 'complete' };
  return unfinished ? { status: 'incomplete', indent: indentOnEnter(code) } : { status: 'complete' };
}

/** Whether `code` is unfinished (true), finished (false) or has a closing bracket without its opener. */
function scan(code: string): boolean | 'invalid' {
  /** Open brackets, `${` of template substitutions and `` ` `` of template texts, innermost last. */
  const stack: string[] = [];
  /** For each open `(`: whether it is the head of if/for/while/with. */
  const heads: boolean[] = [];
  let last: { kind: 'none' | 'word' | 'closer' | 'head' | 'operator' | 'literal'; text: string } = { kind: 'none', text: '' };
  let i = 0;
  const n = code.length;
  while (i < n) {
    const c = code[i];
    if (stack[stack.length - 1] === '`') {
      // Template text: up to the closing backquote or a substitution.
      if (c === '\\') i += 2;
      else if (c === '`') {
        stack.pop();
        last = { kind: 'literal', text: '`' };
        i++;
      } else if (c === '$' && code[i + 1] === '{') {
        stack.push('${');
        last = { kind: 'operator', text: '${' };
        i += 2;
      } else i++;
      continue;
    }
    const atLineStart = i === 0 || code[i - 1] === '\n';
    if (atLineStart && stack.length === 0 && last.kind !== 'operator' && /^[ \t]*%/.test(code.slice(i, i + 200))) {
      // A line magic (kernel/magics/parse.ts): its arguments are not TypeScript.
      const end = code.indexOf('\n', i);
      i = end < 0 ? n : end + 1;
      last = { kind: 'none', text: '' };
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      i++;
    } else if (c === '/' && code[i + 1] === '/') {
      const end = code.indexOf('\n', i);
      i = end < 0 ? n : end;
    } else if (c === '/' && code[i + 1] === '*') {
      const end = code.indexOf('*/', i + 2);
      if (end < 0) return true;
      i = end + 2;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < n && code[j] !== c) {
        if (code[j] === '\n') return 'invalid';
        j += code[j] === '\\' ? 2 : 1;
      }
      // An unterminated string literal is a syntax error, not an unfinished line.
      if (j >= n) return 'invalid';
      last = { kind: 'literal', text: c };
      i = j + 1;
    } else if (c === '`') {
      stack.push('`');
      i++;
    } else if (c === '(' || c === '[' || c === '{') {
      if (c === '(') heads.push(last.kind === 'word' && HEAD_WORDS.has(last.text));
      stack.push(c);
      last = { kind: 'operator', text: c };
      i++;
    } else if (c === ')' || c === ']' || c === '}') {
      const top = stack.pop();
      if (top !== OPENERS[c] && !(c === '}' && top === '${')) return 'invalid';
      last = { kind: c === ')' && heads.pop() ? 'head' : 'closer', text: c };
      i++;
    } else if (c === '/' && startsRegex(last)) {
      const end = regexEnd(code, i);
      if (end < 0) {
        last = { kind: 'operator', text: '/' };
        i++;
      } else {
        last = { kind: 'literal', text: '/' };
        i = end;
      }
    } else if (WORD.test(c)) {
      let j = i + 1;
      while (j < n && WORD.test(code[j])) j++;
      last = { kind: 'word', text: code.slice(i, j) };
      i = j;
    } else if (OPERATOR.test(c)) {
      // Runs of operator characters (`=>`, `++`, `?.`) form one token.
      const text = last.kind === 'operator' && code[i - 1] === last.text[last.text.length - 1] && !'([{'.includes(last.text) ? last.text + c : c;
      last = { kind: 'operator', text };
      i++;
    } else {
      i++;
    }
  }
  // An unterminated template literal is a syntax error to TypeScript; an open substitution is not.
  if (stack[stack.length - 1] === '`') return 'invalid';
  if (stack.length > 0) return true;
  if (last.kind === 'head') return true;
  if (last.kind === 'word') return DANGLING_WORDS.has(last.text);
  if (last.kind !== 'operator') return false;
  const op = last.text;
  if (op.endsWith('++') || op.endsWith('--') || op.endsWith(';') || op.endsWith('!')) return false;
  return op === '=>' || /[+\-*/%=&|^<?:,.~@]$/.test(op);
}

function startsRegex(last: { kind: string; text: string }): boolean {
  if (last.kind === 'none' || last.kind === 'operator') return true;
  return last.kind === 'word' && BEFORE_REGEX_WORDS.has(last.text);
}

/** Where the regular expression literal starting at `start` ends (after its flags), or -1 if it does not end on this line. */
function regexEnd(code: string, start: number): number {
  let inClass = false;
  for (let j = start + 1; j < code.length; j++) {
    const c = code[j];
    if (c === '\n') return -1;
    if (c === '\\') j++;
    else if (c === '[') inClass = true;
    else if (c === ']') inClass = false;
    else if (c === '/' && !inClass) {
      let end = j + 1;
      while (end < code.length && /[a-z]/i.test(code[end])) end++;
      return end;
    }
  }
  return -1;
}

/** The indent of the next line, as tslab's converter computes it (VS Code's indentation rules). */
function indentOnEnter(code: string): string {
  const line = /[^\n]*$/.exec(code)![0];
  const current = /^\s*/.exec(line)![0];
  if (/^((?!.*?\/\*).*\*\/)?\s*[}\]].*$/.test(line)) {
    if (current.endsWith('  ')) return current.slice(0, -2);
    if (current.endsWith('\t') || current.endsWith(' ')) return current.slice(0, -1);
    return current;
  }
  if (/^((?!\/\/).)*(\{[^}"'`]*|\([^)"'`]*|\[[^\]"'`]*)$/.test(line)) return `${current}  `;
  return current;
}
