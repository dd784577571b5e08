/**
 * The inferred types as users meet them: the type tests (`*.types.ts`, compiled by `npm run build`)
 * hold under the TypeScript the kernel compiles cells with (tslab's) against the declarations the
 * package ships; and the README's examples and the tutorials' cells need no type assertions.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type * as TS from '@tslab/typescript-for-tslab';
import { parseNotebook, sourceText } from '../../kernel/runner/notebook';

const REPO = path.resolve(__dirname, '..', '..', '..');
const tslabRoot = path.dirname(require.resolve('tslab/package.json'));
const kernelTs: typeof TS = require(require.resolve('@tslab/typescript-for-tslab', { paths: [tslabRoot] }));

/** The type assertions (`x as T`, `<T>x`) in TypeScript `code`, as `line: text`. */
function assertionsIn(code: string): string[] {
  const file = kernelTs.createSourceFile('code.ts', code, kernelTs.ScriptTarget.Latest, true, kernelTs.ScriptKind.TS);
  const found: string[] = [];
  const visit = (node: TS.Node): void => {
    if (kernelTs.isAsExpression(node) || kernelTs.isTypeAssertionExpression(node)) {
      found.push(`${file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1}: ${node.getText(file)}`);
    }
    kernelTs.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/**
 * Diagnostics of the type tests compiled by the kernel's TypeScript against dist/'s declarations,
 * strict or with the kernel's own settings (tslab compiles cells without `strict`).
 */
function typeTestDiagnostics(strict: boolean, snippet?: string): string[] {
  const dir = path.join(REPO, 'test', 'types');
  const snippetFile = path.join(dir, 'snippet.ts');
  const files = snippet === undefined ? fs.readdirSync(dir).filter((name) => name.endsWith('.types.ts')).map((name) => path.join(dir, name)) : [snippetFile];
  assert.ok(files.length >= 1, files.join(', '));
  const options: TS.CompilerOptions = {
    strict,
    noEmit: true,
    target: kernelTs.ScriptTarget.ES2020,
    module: kernelTs.ModuleKind.CommonJS,
    moduleResolution: kernelTs.ModuleResolutionKind.Node10,
    esModuleInterop: true,
    skipLibCheck: true,
    lib: ['lib.es2020.d.ts'],
    types: ['node'],
    typeRoots: [path.join(REPO, 'node_modules', '@types')],
  };
  const host = kernelTs.createCompilerHost(options);
  if (snippet !== undefined) {
    // A cell's code, compiled as if it were a file beside the type tests.
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (name, target, ...rest) => (path.resolve(name) === snippetFile ? kernelTs.createSourceFile(name, snippet, target) : getSourceFile(name, target, ...rest));
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (name) => path.resolve(name) === snippetFile || fileExists(name);
  }
  const lib = path.join(REPO, 'lib');
  // The tests import the sources (../../lib); the kernel sees the published declarations.
  host.resolveModuleNames = (names, containingFile) =>
    names.map((name) => {
      const target = path.resolve(path.dirname(containingFile), name);
      if (target === lib) return { resolvedFileName: path.join(REPO, 'dist', 'lib', 'index.d.ts'), extension: kernelTs.Extension.Dts, isExternalLibraryImport: true };
      return kernelTs.resolveModuleName(name, containingFile, options, host).resolvedModule;
    });
  const program = kernelTs.createProgram(files, options, host);
  return kernelTs.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file && d.start !== undefined ? `${path.relative(REPO, d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}` : '';
    return `${where} ${kernelTs.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}

describe('types: as users meet them', function () {
  this.timeout(120_000);

  for (const strict of [true, false]) {
    it(`the type tests hold under the kernel's TypeScript, against the declarations in dist/ (${strict ? 'strict' : "the kernel's non-strict options"})`, () => {
      assert.deepEqual(typeTestDiagnostics(strict), []);
      assert.equal(kernelTs.version, '5.0.4');
    });
  }

  it("train(model, data, { epochs, patience: 3 }) is a type error that names the option and says where it belongs (issue 16, defect 8)", () => {
    const cell = `import { tf, train } from '../../lib';
declare const model: tf.LayersModel;
declare const xs: tf.Tensor2D, ys: tf.Tensor2D;
train(model, { xs, ys }, { epochs: 10, patience: 3 });
train(model, { xs, ys }, { epochs: 10, colour: 'red' });`;
    const diagnostics = typeTestDiagnostics(true, cell);
    assert.equal(diagnostics.length, 2, diagnostics.join('\n'));
    assert.match(diagnostics[0], /snippet\.ts:4 Type 'number' is not assignable to type '"unknown option 'patience': early stopping takes it, as train\(model, data, \{ earlyStop: earlyStop\(\{ patience \}\) \}\)"'/);
    assert.match(diagnostics[1], /snippet\.ts:5 Type '"red"' is not assignable to type '"unknown option 'colour'"'/);
    assert.doesNotMatch(diagnostics.join('\n'), /'never'/);
  });

  it("the README's TypeScript examples hold no type assertions", () => {
    const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]);
    assert.ok(blocks.length >= 4, 'the README has TypeScript examples');
    assert.deepEqual(blocks.flatMap(assertionsIn), []);
  });

  it("the tutorials' code cells hold no type assertions", () => {
    const dir = path.join(REPO, 'notebooks');
    const found = fs
      .readdirSync(dir)
      .filter((name) => name.endsWith('.ipynb'))
      .flatMap((name) => {
        const notebook = parseNotebook(fs.readFileSync(path.join(dir, name), 'utf8'), name);
        return notebook.cells.filter((cell) => cell.cell_type === 'code').flatMap((cell, i) => assertionsIn(sourceText(cell).replace(/^%.*$/gm, '')).map((text) => `${name} cell ${i} line ${text}`));
      });
    assert.deepEqual(found, []);
  });
});
