import assert from 'node:assert/strict';
import { Executor, type Outcome } from '../../kernel/executor';
import { stripAnsi } from '../../kernel/traceback';
import { createCellRequire, createCompiler } from '../../kernel/tslab';

function errorText(outcome: Outcome): string {
  assert.equal(outcome.status, 'error');
  return outcome.status === 'error' ? stripAnsi(outcome.error.traceback.join('\n')) : '';
}

describe('Executor', () => {
  let executor: Executor;
  before(() => {
    executor = new Executor({ compiler: createCompiler(), cellRequire: createCellRequire(process.cwd()), interruptGraceMs: 100 });
  });
  after(() => executor.close());

  it('executor.execute(code) returns the last expression; declarations carry over to later cells', async () => {
    assert.deepEqual(await executor.execute('const a: number = 20;\nfunction twice(x: number) { return 2 * x; }', { label: 'In [1]' }), {
      status: 'ok',
      value: undefined,
      hasValue: false,
    });
    assert.deepEqual(await executor.execute('twice(a) + 2', { label: 'In [2]' }), { status: 'ok', value: 42, hasValue: true });
    assert.deepEqual(await executor.execute('const xs = [1, 2];\n({ xs, n: xs.length })', { label: 'In [3]' }), { status: 'ok', value: { xs: [1, 2], n: 2 }, hasValue: true });
    const shorthand = await executor.execute('({ xs, a })', { label: 'In [4]' });
    assert.deepEqual(shorthand, { status: 'ok', value: { xs: [1, 2], a: 20 }, hasValue: true });
    assert.equal(executor.locals.a, 20);
  });

  it('executor.execute() awaits top-level await and reports undefined as no value', async () => {
    assert.deepEqual(await executor.execute('await new Promise((r) => setTimeout(r, 5));\nundefined', { label: 'In [5]' }), { status: 'ok', value: undefined, hasValue: false });
    assert.deepEqual(await executor.execute('await Promise.resolve(7)', { label: 'In [6]' }), { status: 'ok', value: 7, hasValue: true });
  });

  it('a TypeScript error is one TSError with every diagnostic at its cell line (lineOffset added)', async () => {
    const outcome = await executor.execute('let s: string = 1;\nmissing()', { label: 'In [7]', lineOffset: 2 });
    assert.equal(outcome.status === 'error' && outcome.error.ename, 'TSError');
    assert.equal(outcome.status === 'error' && outcome.error.evalue, "Type 'number' is not assignable to type 'string'. (TS2322) (and 1 more)");
    const text = errorText(outcome);
    assert.match(text, /In \[7\], line 3, column 5: Type 'number' is not assignable to type 'string'\. \(TS2322\)\n--> 3 \| let s: string = 1;\n +\| {5}\^/);
    assert.match(text, /In \[7\], line 4, column 1: Cannot find name 'missing'\. \(TS2304\)/);
  });

  it('a runtime error points at cell lines, through functions defined in earlier cells', async () => {
    await executor.execute('function deep(o: any) {\n\n  return o.x.y;\n}', { label: 'In [8]' });
    const outcome = await executor.execute('const before = 1;\n\ndeep({})', { label: 'In [9]' });
    assert.equal(outcome.status === 'error' && outcome.error.ename, 'TypeError');
    const text = errorText(outcome);
    assert.match(text, /^TypeError: Cannot read properties of undefined \(reading 'y'\)\n {4}at deep \(In \[8\]:3:14\)\n {4}at In \[9\]:3:1\n/);
    assert.match(text, /In \[8\], line 3:\n--> 3 \|   return o\.x\.y;\n +\| {14}\^$/);
    // Declarations before the failure stay, as in IPython.
    assert.deepEqual(await executor.execute('before', { label: 'In [10]' }), { status: 'ok', value: 1, hasValue: true });
  });

  it('a thrown non-Error is "Uncaught" with its inspected value', async () => {
    const outcome = await executor.execute('throw { code: 7 }', { label: 'In [11]' });
    assert.equal(outcome.status === 'error' && `${outcome.error.ename}: ${outcome.error.evalue}`, 'Uncaught: { code: 7 }');
  });

  it('a raised interrupt flag stops a loop, also one that runs after an await', async () => {
    executor.raiseInterrupt();
    const outcome = await executor.execute('await null;\nlet n = 0;\nwhile (true) { n++; }', { label: 'In [12]' });
    assert.equal(outcome.status === 'error' && outcome.interrupted, true);
    assert.equal(outcome.status === 'error' && outcome.error.ename, 'Interrupted');
    executor.clearInterrupt();
    assert.deepEqual(await executor.execute('let m = 0;\nfor (let i = 0; i < 3; i++) m++;\nm', { label: 'In [13]' }), { status: 'ok', value: 3, hasValue: true });
  });

  it('an aborted signal interrupts awaited work; the cell gets a grace period to settle', async () => {
    const controller = new AbortController();
    const running = executor.execute('await new Promise(() => {})', { label: 'In [14]' }, controller.signal);
    controller.abort();
    const outcome = await running;
    assert.equal(outcome.status === 'error' && outcome.interrupted, true);
  });

  it('running the same cells again (a loop re-declaring a variable, as %%sweep does) keeps every declaration', async () => {
    // The type checker's program is reused from cell to cell; the declarations it carries must not be.
    await executor.execute('let rounds = 0;', { label: 'In [15]' });
    for (const lr of [1, 2]) {
      assert.equal((await executor.execute(`let rate: { readonly lr: number } = { lr: ${lr} };`, { label: 'In [16]' })).status, 'ok');
      assert.deepEqual(await executor.execute('rounds++;\nawait Promise.resolve(rate.lr)', { label: 'In [17]' }), { status: 'ok', value: lr, hasValue: true });
    }
    assert.deepEqual(await executor.execute('[rounds, rate.lr]', { label: 'In [18]' }), { status: 'ok', value: [2, 2], hasValue: true });
  });

  it('executor.complete() and executor.inspect() see earlier declarations', () => {
    assert.ok(executor.complete('twi', 3).matches.includes('twice'));
    assert.match(executor.inspect('twice', 2) ?? '', /function twice\(x: number\): number/);
  });
});
