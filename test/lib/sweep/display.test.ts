import assert from 'node:assert/strict';
import { setSessionProvider } from '../../../lib/session';
import { notebookView, terminalView } from '../../../lib/sweep/display';
import { parameterImportance } from '../../../lib/sweep/importance';
import { Sweep } from '../../../lib/sweep/result';
import { SearchSpace } from '../../../lib/sweep/space';
import { newTrial, type SweepRecord, type TrialRecord } from '../../../lib/sweep/state';
import { recordingSession, throwsWith } from '../../helpers';
import { testRecord } from './support';

function trial(number: number, params: Record<string, number | string>, status: TrialRecord['status'], values: number[], extra: Partial<TrialRecord> = {}): TrialRecord {
  const best = Math.min(...values);
  return { ...newTrial(number, params), status, values, epochs: 4, attempts: 1, ...(values.length ? { value: best, bestEpoch: values.indexOf(best) + 1 } : {}), ...extra };
}

function sweepRecord(trials: TrialRecord[], status: SweepRecord['status'] = 'finished'): SweepRecord {
  return testRecord({
    name: 'demo',
    status,
    space: { lr: [0.1, 0.01, 0.001], act: ['relu', 'tanh'] },
    pruner: { kind: 'asha', options: { minEpochs: 1, reduction: 3 } },
    budget: 4,
    trials,
  });
}

const TRIALS = () => [
  trial(1, { lr: 0.1, act: 'relu' }, 'finished', [0.5, 0.3, 0.2, 0.1]),
  trial(2, { lr: 0.01, act: 'relu' }, 'paused', [0.9], { prunedAt: 1 }),
  trial(3, { lr: 0.001, act: 'tanh' }, 'running', [0.8, 0.6], { worker: 'local-2' }),
  trial(4, { lr: 0.1, act: 'tanh' }, 'finished', [0.4, 0.25, 0.22, 0.21]),
];

describe('sweep/display', () => {
  afterEach(() => setSessionProvider(undefined));

  it('notebookView(session) shows the table and three charts at its first update, updates them in place, and adds importance at the end', () => {
    const session = recordingSession();
    setSessionProvider(() => session);
    let time = 0;
    const view = notebookView(session, { now: () => time });
    const record = sweepRecord(TRIALS(), 'running');
    view.update(record, { workers: 2 });
    const [table, library, ...charts] = session.shown;
    assert.match(String(table['text/plain']), /^sweep demo: grid sampler, asha pruner, 4 trials — 1 running on 2 workers; 2 finished, 1 pruned, 1 unfinished; best val_loss 0\.1 \(trial 1\)\ntrial +lr +act +status +epochs +val_loss +best epoch +now +worker\n/);
    assert.match(String(table['text/plain']), /\n +3 +0\.001 +tanh +running +2\/4 +0\.6 +2 +epoch 3\/4 +local-2\n/);
    // The embedded copy of plotly.js, for pages that leave the server: browser-only, no text for terminals.
    assert.match(String(library['text/html']), /type="text\/x-cellfit-plotly"/);
    assert.equal(library['text/plain'], undefined);
    assert.deepEqual(charts.map((chart) => /^(optimisation history|intermediate values|best val_loss)/.exec(String(chart['text/plain']))?.[1]), ['optimisation history', 'intermediate values', 'best val_loss']);
    time = 100;
    view.update(record, { workers: 2 });
    assert.equal(session.updates[0].length, 0, 'the table redraws at most every 500 ms');
    record.trials[2] = trial(3, { lr: 0.001, act: 'tanh' }, 'finished', [0.8, 0.6, 0.5, 0.45]);
    record.status = 'finished';
    view.end(record);
    const final = String(session.updates[0].at(-1)!['text/plain']);
    assert.doesNotMatch(final, /now|worker|local-2/, 'the final table holds results only');
    assert.match(final, /\n +2 +0\.01 +relu +pruned @ 1 +1\/4 +0\.9 +1\n/);
    assert.equal(session.shown.length, 6);
    assert.match(String(session.shown[5]['text/plain']), /^parameter importance \(η² of ranks\): /);
  });

  it('notebookView(session) of a 10,000-trial sweep shows a summary, the best and the running trials, and charts of a bounded size', () => {
    const session = recordingSession();
    setSessionProvider(() => session);
    const lrs = [0.1, 0.01, 0.001];
    const trials = Array.from({ length: 10_000 }, (_, i) => {
      const number = i + 1;
      const params = { lr: lrs[i % 3], act: i % 2 ? 'relu' : 'tanh' };
      const curve = Array.from({ length: 20 }, (_, e) => 1 + ((number * 7919) % 10_007) / 10_007 + 1 / (e + 1));
      if (number === 9_999 || number === 10_000) return trial(number, params, 'running', curve.slice(0, 5), { worker: `w${number}` });
      return number % 4 === 0 ? trial(number, params, 'finished', curve) : trial(number, params, 'paused', curve.slice(0, 3), { prunedAt: 3 });
    });
    const record = sweepRecord(trials, 'running');
    const view = notebookView(session, { now: () => 0 });
    view.update(record, { workers: 2 });
    const table = String(session.shown[0]['text/plain']);
    assert.match(table.split('\n')[0], /; showing the 10 best and 2 running of 10000 trials \(Sweep\.trials has them all\)$/);
    assert.equal(table.split('\n').length, 3 + 12, 'caption, header, rule and 12 rows');
    record.status = 'finished';
    view.end(record);
    const [history, intermediate, parallel] = session.updates.slice(2, 5).map((updates) => updates.at(-1)!);
    const figure = (bundle: Record<string, unknown>) => bundle['application/vnd.plotly.v1+json'] as { data: { x?: unknown[]; dimensions?: { values: unknown[] }[] }[] };
    assert.ok(figure(intermediate).data.length <= 25 + 2, `${figure(intermediate).data.length} curves`);
    assert.ok(figure(history).data.reduce((sum, trace) => sum + (trace.x?.length ?? 0), 0) <= 2000 + 2000, 'history: sampled points and the best-so-far line');
    assert.equal(figure(parallel).data[0].dimensions![0].values.length, 1000);
    // What the notebook saves: each output's last state, the embedded plotly.js (the same for any sweep) left out.
    const saved = JSON.stringify(session.shown.map((bundle, i) => session.updates[i].at(-1) ?? bundle).filter((_, i) => i !== 1)).length;
    assert.ok(saved < 500_000, `the cell's outputs weigh ${saved} bytes`);
  });

  it('notebookView(session) draws an update the throttle held back once its interval has passed, with nothing after it', () => {
    const session = recordingSession();
    setSessionProvider(() => session);
    let time = 0;
    const timers: { at: number; run: () => void; cancelled: boolean }[] = [];
    const schedule = (run: () => void, ms: number) => {
      const timer = { at: time + ms, run, cancelled: false };
      timers.push(timer);
      return () => (timer.cancelled = true);
    };
    const pending = () => timers.filter((timer) => !timer.cancelled);
    const fire = () => {
      const timer = pending()[0];
      timer.cancelled = true;
      time = timer.at;
      timer.run();
    };
    const view = notebookView(session, { now: () => time, schedule });
    const record = sweepRecord(TRIALS(), 'running');
    view.update(record, { workers: 1 });
    assert.equal(pending().length, 0, 'nothing held back after the first update');
    const drawnBefore = session.updates[2].length;
    const history = () => session.updates[2].slice(drawnBefore);
    // A trial settles 100 ms later; then nothing reports for a long time.
    time = 100;
    record.trials[2] = trial(3, { lr: 0.001, act: 'tanh' }, 'finished', [0.8, 0.6, 0.5, 0.45]);
    view.update(record, { workers: 1 });
    assert.deepEqual([session.updates[0].length, history().length], [0, 0], 'throttled');
    assert.equal(pending().length, 1, 'one redraw scheduled, not one per update');
    fire();
    assert.deepEqual([time, session.updates[0].length, history().length], [500, 1, 0], 'the table at 500 ms');
    fire();
    assert.deepEqual([time, session.updates[0].length, history().length > 0], [2000, 1, true], 'the charts at 2 s, without redrawing an unchanged table');
    assert.match(String(history().at(-1)!['text/plain']), /optimisation history/);
    assert.equal(pending().length, 0, 'nothing left to draw: no timer');
    // end() draws at once and cancels what was held back.
    time = 2100;
    view.update(record, { workers: 1 });
    assert.equal(pending().length, 1);
    record.status = 'finished';
    view.end(record);
    assert.equal(pending().length, 0, 'end() cancels the held-back redraw');
  });

  it('terminalView(write) writes a line per settled trial and a summary, not a line per epoch', () => {
    const lines: string[] = [];
    const view = terminalView((text) => lines.push(text));
    const record = sweepRecord(TRIALS());
    view.update(record, { workers: 1 });
    view.update(record, { workers: 1 });
    view.settled(record, 1);
    view.settled(record, 2);
    view.end(record);
    assert.deepEqual(lines, [
      'sweep demo: grid sampler, asha pruner, 4 trials, 1 worker\n',
      'sweep demo · trial 1/4 finished  lr=0.1, act="relu" → val_loss 0.1 @ epoch 4\n',
      'sweep demo · trial 2/4 paused at epoch 1 (ASHA rung; promoted if later trials rank it in the top)  lr=0.01, act="relu" → val_loss 0.9 @ epoch 1\n',
      'sweep demo finished: 2 finished, 1 pruned, 1 unfinished; best val_loss 0.1 (trial 1: lr=0.1, act="relu")\n',
    ]);
  });

  it('parameterImportance(space, trials) gives the parameter that decides the value most of the variance', () => {
    const space = new SearchSpace({ lr: { min: 1e-4, max: 1, log: true }, act: ['relu', 'tanh'] });
    const trials = Array.from({ length: 40 }, (_, i) => {
      const lr = 10 ** (-4 + (4 * ((i * 7) % 40)) / 40);
      return { params: { lr, act: i % 2 ? 'relu' : 'tanh' }, value: (Math.log10(lr) + 2) ** 2 + (i % 2) * 0.01 };
    });
    const importance = parameterImportance(space, trials);
    assert.deepEqual(Object.keys(importance), ['lr', 'act']);
    assert.ok(importance.lr > 0.7 && importance.act < 0.05, JSON.stringify(importance));
    assert.deepEqual(parameterImportance(space, trials.slice(0, 2)), {}, 'fewer than 3 trials: nothing to say');
  });

  it('Sweep: trials with public statuses, the best trial, charts by name', () => {
    const result = new Sweep(sweepRecord(TRIALS()), '/tmp/sweeps/demo.json');
    assert.deepEqual(result.trials.map((t) => t.status), ['finished', 'pruned', 'unfinished', 'finished']);
    assert.equal(result.trials[1].prunedAt, 1);
    assert.equal(result.best!.number, 1);
    assert.equal(String(result), 'sweep demo finished: 2 finished, 1 pruned, 1 unfinished; best val_loss 0.1 (trial 1: lr=0.1, act="relu")');
    assert.equal(result.plot('intermediate').figure.data.length, 4);
    throwsWith(() => result.plot('pie' as never), "Sweep.plot(): `kind` must be 'history', 'intermediate', 'parallel' or 'importance'. Received: \"pie\".");
  });
});
