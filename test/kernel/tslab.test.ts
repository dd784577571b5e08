import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as TS from '@tslab/typescript-for-tslab';
import { completeness, createCompiler, endsWithSemicolon, expandShorthands, needsMoreInput, needsNodeTypes, toOriginalColumn, transpileUnchecked, type Compiler } from '../../kernel/tslab';
import { tslabTypeScriptPath, tslabVersions } from '../../lib/modules';
import { chainPosition } from '../../kernel/sourcemap';

describe('tslab (the wrapper around tslab internals)', () => {
  let compiler: Compiler;
  before(() => {
    compiler = createCompiler();
  });
  after(() => compiler.close());

  it('tslabVersions() names the pinned tslab and the TypeScript the kernel loads', () => {
    const versions = tslabVersions();
    assert.equal(versions.tslab, '1.0.22');
    assert.equal(versions.typescript, '5.0.4');
    assert.equal((require(tslabTypeScriptPath()) as { version: string }).version, versions.typescript);
  });

  it('compiler.compile(decls, source) returns CommonJS with source maps back to the cell (blank lines and all)', () => {
    const compiled = compiler.compile('', 'const a: number = 1;\n\n\nfunction f(x: any) {\n\n  return x.y;\n}\nf(a)');
    assert.deepEqual(compiled.diagnostics, []);
    assert.equal(compiled.lastExpressionKey, 'tsLastExpr');
    assert.match(compiled.declarations, /declare const a: number;/);
    assert.ok(compiled.maps, 'maps are produced');
    const js = compiled.code!.split('\n');
    const line = js.findIndex((l) => l.includes('return x.y'));
    const position = chainPosition(compiled.maps!, { line, column: js[line].indexOf('x.y') }, -1);
    assert.deepEqual(position, { line: 5, column: 9 });
  });

  it('compiler.compile() reports diagnostics at cell positions, and loop bodies get interrupt guards', () => {
    const compiled = compiler.compile('', 'let s: string = 1;');
    assert.equal(compiled.diagnostics[0].message, "Type 'number' is not assignable to type 'string'.");
    assert.deepEqual([compiled.diagnostics[0].line, compiled.diagnostics[0].column], [0, 4]);
    const loop = compiler.compile('', 'for (let i = 0; i < 3; i++) {}\nwhile (false) ;');
    assert.equal(loop.code!.match(/if \(__cellfit_interrupt_flag__\[0\] !== 0\)\s*__cellfit_interrupt__\(\);/g)?.length, 2);
  });

  it('transpileUnchecked(js) converts ES modules to CommonJS exactly as ts.transpileModule does (output and source map), without its check', () => {
    const ts: typeof TS = require(tslabTypeScriptPath());
    const options: TS.CompilerOptions = { module: ts.ModuleKind.CommonJS, esModuleInterop: true, target: ts.ScriptTarget.ES2019, newLine: ts.NewLineKind.LineFeed, noImplicitUseStrict: true, sourceMap: true };
    const renameCalls = (context: TS.TransformationContext) => (file: TS.SourceFile) =>
      ts.visitEachChild(file, function visit(node: TS.Node): TS.Node {
        return ts.isIdentifier(node) && node.text === 'f' ? context.factory.createIdentifier('g') : ts.visitEachChild(node, visit, context);
      }, context);
    const modules = [
      'export {};\nlet a = 1;\nexport const b = a + 1;\nexport { a };',
      'import tf, * as all from "@tensorflow/tfjs";\nimport { tensor as t, zeros } from "./local";\nimport "side-effect";\nexport const x = t([1]).add(zeros([1])).add(tf.ones([1])).add(all.ones([1]));\nexport function f(y) { for (const z of y) { console.log(z); } return f; }',
      'const r = await Promise.resolve(1);\nlet i = 0;\nwhile (i < 3) i++;\nexport class C { #p = 1; static s = r; get p() { return this.#p; } async *gen() { for await (const v of [1]) yield v; } }\nexport { r as renamed, i };\nexports.tsLastExpr = new C().p;',
      'export * from "./other";\nexport { default as d, named } from "./third";\nexport default function () { return undefined.missing + notDeclared; }',
    ];
    for (const js of modules) {
      const expected = ts.transpileModule(js, { fileName: 'custom.js', compilerOptions: options, transformers: { before: [renameCalls] } });
      const actual = transpileUnchecked(js, options, [renameCalls]);
      assert.equal(actual.outputText, expected.outputText, js);
      assert.equal(actual.sourceMapText, expected.sourceMapText, js);
    }
  });

  it('compiler.compile() emits CommonJS in one step: one source map from the code that runs back to the cell', () => {
    const compiled = compiler.compile('', "import * as path from 'node:path';\nconst p = path.join('a', 'b');\nawait Promise.resolve(p)");
    assert.deepEqual(compiled.diagnostics, []);
    assert.equal(compiled.hasTopLevelAwait, true);
    assert.equal(compiled.maps?.length, 1);
    assert.match(compiled.code!, /const path = __importStar\(require\("node:path"\)\);/);
    assert.match(compiled.code!, /exports\.tsLastExpr = await Promise\.resolve\(p\);/);
    assert.doesNotMatch(compiled.code!, /^\s*(import|export) /m);
    const js = compiled.code!.split('\n');
    const line = js.findIndex((l) => l.includes('path.join'));
    assert.deepEqual(chainPosition(compiled.maps!, { line, column: js[line].indexOf('path.join') }, -1), { line: 1, column: 10 });
  });

  it('later cells are checked with an earlier type checker and still report every type error: the same error twice, errors in tf.js types, and after an error', () => {
    const messages = (declarations: string, source: string) => compiler.compile(declarations, source).diagnostics.map((d) => d.message);
    const first = compiler.compile('', "import * as tf from '@tensorflow/tfjs';\nconst a = 1;");
    assert.deepEqual(first.diagnostics, []);
    const mismatch = "Type 'number' is not assignable to type 'string'.";
    assert.deepEqual(messages(first.declarations, 'const b = a + 1;'), []);
    assert.deepEqual(messages(first.declarations, 'let s: string = a;'), [mismatch]);
    assert.deepEqual(messages(first.declarations, 'let s: string = a;'), [mismatch]);
    assert.deepEqual(messages(first.declarations, 'const t: tf.Tensor = tf.ones([2]);\nt.shape'), []);
    assert.deepEqual(messages(first.declarations, 'const t: tf.Tensor = tf.ones([2]);\nconst n: string = t;'), ["Type 'Tensor<Rank>' is not assignable to type 'string'."]);
    assert.deepEqual(messages(first.declarations, 'const t: tf.Tensor = tf.ones([2]);\nconst n: string = t;'), ["Type 'Tensor<Rank>' is not assignable to type 'string'."]);
    assert.deepEqual(messages(first.declarations, 'const c: number = a;\nc'), []);
    assert.deepEqual(messages(first.declarations, "import { ones } from '@tensorflow/tfjs';\nconst o: number = ones([1]);"), ["Type 'Tensor<Rank>' is not assignable to type 'number'."]);
  });

  it('compiler.compile() resolves `cellfit` and `cellfit/kernel` from inside the package (Node self-reference)', () => {
    const compiled = compiler.compile('', "import { tf } from 'cellfit';\nimport { display } from 'cellfit/kernel';\ntf.tensor([1]);\ndisplay(1);");
    assert.deepEqual(compiled.diagnostics, []);
  });

  it('expandShorthands(source) writes { xs } as { xs: xs } (tslab loses earlier cells in shorthands), columns mapped back', () => {
    const { source, insertions } = expandShorthands('f({ xs, ys }, { a: 1 });\nconst { q } = o;');
    assert.equal(source, 'f({ xs: xs, ys: ys }, { a: 1 });\nconst { q } = o;');
    assert.deepEqual(insertions, [{ line: 0, column: 6, length: 4 }, { line: 0, column: 10, length: 4 }]);
    assert.equal(toOriginalColumn(insertions, 0, 2), 2);
    assert.equal(toOriginalColumn(insertions, 0, 12), 8); // the `ys` after the first insertion
    assert.equal(toOriginalColumn(insertions, 0, 7), 6); // inside inserted text: the name's end
    assert.equal(toOriginalColumn(insertions, 0, 22), 14); // after both
    assert.equal(toOriginalColumn(insertions, 1, 9), 9);
  });

  it('completeness(code) says complete, incomplete (with the indent) or invalid', () => {
    assert.deepEqual(completeness('1 + 1'), { status: 'complete' });
    assert.deepEqual(completeness('function f() {'), { status: 'incomplete', indent: '  ' });
    assert.deepEqual(completeness('const = 5;'), { status: 'invalid' });
    assert.deepEqual(completeness('await f()'), { status: 'complete' });
  });

  it('needsMoreInput(source) is true when the code stops inside a bracket, block, template, comment or expression', () => {
    for (const source of ['const v = [10', 'function f() {', 'const s = `a', '/* note', 'const x = 1 +', 'f(\n\n\n']) {
      assert.equal(needsMoreInput(source), true, source);
    }
    for (const source of ['', 'const a = 1;', 'x = 5', "const s = 'open", '// comment', 'f()\n\n']) {
      assert.equal(needsMoreInput(source), false, source);
    }
  });

  it('endsWithSemicolon(source) is true only for a final expression statement ending in ;', () => {
    assert.equal(endsWithSemicolon('1 + 1;'), true);
    assert.equal(endsWithSemicolon('1 + 1;  // note'), true);
    assert.equal(endsWithSemicolon('1 + 1'), false);
    assert.equal(endsWithSemicolon('const a = 1;'), false);
  });
});

describe('tslab: Node\'s types deferred (createCompiler({ deferNodeTypes: true }), the kernel\'s start-up)', function () {
  this.timeout(300_000);

  const onlyLib = [
    'let a = 1 + 1;\na',
    'const last = [3, 1, 2].sort().at(-1);\nconst big = 2n ** 64n;\nclass P { #x = 1; get x() { return this.#x; } }\nnew P().x + Number(last)',
    // Lib types Node's declarations extend (Error, String, Array, typed arrays, Symbol, iterators).
    "const e = new Error('x', { cause: 1 });\nconst c = 'ab'.at(0);\nconst values = [1, 2].values();\nconst u = new Uint8Array(2).at(1);\nconst k = Symbol.iterator;\nclass E2 extends Error {}\nfunction* gen() { yield 1; }\nconst g = gen();\n[e.message, c, values, u, k, new E2(), g]",
  ];
  const reporting = [
    'console.log(process.argv.length, Buffer.from("a"), __dirname)',
    'const t = setTimeout(() => undefined, 0);\nconst n: number = t;',
    'const s: string = 1;\nconsole.log(s)',
    'let q: number = "x";',
    'const e = new Error("e");\nError.captureStackTrace(e);\nconst d: symbol = Symbol.dispose;',
  ];
  const reaching = ['import fs from "node:fs";\nfs.existsSync("x")', 'const p = require("path");', '/// <reference lib="dom" />\nlet a = 1;', 'declare const z: number;', 'globalThis.x = 1;'];

  interface Checked {
    cell: string;
    deferred: string[];
    full: string[];
    /** The declarations the cell gave without and with Node's types. */
    declarations: [string, string];
    /** Whether Node's types were still left out after the cell. */
    stillDeferred: boolean;
    /** The diagnostics of the next cell, `let b = 1;`. */
    next: string[];
  }
  let checked: Checked[];
  let completion: { matches: string[]; stillDeferred: boolean; inspected: string };

  // In a child process in a folder outside the repository: a kernel has one notebook folder, and the
  // repository's dev @types (some of which reference Node's) would put Node's types in every program.
  before(() => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'cellfit-deferred-'));
    const script = `
const { createCompiler } = require(${JSON.stringify(path.resolve(__dirname, '..', '..', 'kernel', 'tslab.js'))});
const show = (compiled) => compiled.diagnostics.map((d) => d.line + ':' + d.column + ' TS' + d.code + ' ' + d.message);
const full = createCompiler();
const checked = ${JSON.stringify([...onlyLib, ...reporting, ...reaching])}.map((cell) => {
  const deferred = createCompiler({ deferNodeTypes: true });
  const withoutNode = deferred.compile('', cell);
  const withNode = full.compile('', cell);
  const result = { cell, deferred: show(withoutNode), full: show(withNode), declarations: [withoutNode.declarations, withNode.declarations] };
  const next = show(deferred.compile('', 'let b = 1;'));
  result.stillDeferred = deferred.includeNodeTypes();
  result.next = next;
  deferred.close();
  return result;
});
const deferred = createCompiler({ deferNodeTypes: true });
deferred.compile('', 'let a = 1;');
const matches = deferred.complete('', 'process.ar', 10).matches;
const completion = { matches, stillDeferred: deferred.includeNodeTypes(), inspected: deferred.inspect('', 'Buffer', 2) ?? '' };
console.log(JSON.stringify({ checked, completion }));`;
    try {
      const output = execFileSync(process.execPath, ['-e', script], { cwd: folder, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
      ({ checked, completion } = JSON.parse(output.trim().split('\n').pop()!) as { checked: Checked[]; completion: typeof completion });
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });
  const of = (cell: string) => checked.find((c) => c.cell === cell)!;

  it('a cell that needs only the lib is checked without Node\'s types, which stay deferred; its declarations are the same', () => {
    for (const cell of onlyLib) {
      assert.deepEqual(of(cell).deferred, [], cell);
      assert.equal(of(cell).declarations[0], of(cell).declarations[1], cell);
      assert.deepEqual(of(cell).full, [], cell);
      assert.equal(of(cell).stillDeferred, true, cell);
      assert.equal(needsNodeTypes(cell), false, cell);
    }
  });

  it('a cell whose check without Node\'s types reports anything gets exactly the diagnostics of a check with them, which stay', () => {
    for (const cell of reporting) {
      assert.deepEqual(of(cell).deferred, of(cell).full, cell);
      assert.equal(of(cell).stillDeferred, false, cell);
      assert.deepEqual(of(cell).next, [], cell);
    }
    assert.deepEqual(of(reporting[0]).full, [], 'Node\'s names are known');
    assert.ok(of(reporting[1]).full.some((d) => d.includes("'Timeout'")), `Node's setTimeout: ${of(reporting[1]).full.join('; ')}`);
  });

  it('a cell that imports, requires, references or declares something is checked with Node\'s types from the start', () => {
    for (const cell of reaching) {
      assert.equal(needsNodeTypes(cell), true, cell);
      assert.deepEqual(of(cell).deferred, of(cell).full, cell);
      assert.equal(of(cell).stillDeferred, false, cell);
    }
    for (const cell of ['function importance(x: number) { return x; }', 'const requirement = "globally";']) assert.equal(needsNodeTypes(cell), false, cell);
  });

  it('completion and inspection include Node\'s types first', () => {
    assert.ok(completion.matches.includes('argv'), completion.matches.join(', '));
    assert.equal(completion.stillDeferred, false);
    assert.match(completion.inspected, /Buffer/);
  });
});
