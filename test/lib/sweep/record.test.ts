import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { journalFile, readRecord, RecordWriter } from '../../../lib/sweep/record';
import { newTrial, type SweepRecord } from '../../../lib/sweep/state';
import { tmpDir } from '../train/support';
import { testRecord } from './support';

const lines = (file: string) => fs.readFileSync(file, 'utf8').trimEnd().split('\n');

/** Waits (up to 30 s, however loaded the machine) until the record read back from `file` is `record`. */
async function written(file: string, record: SweepRecord): Promise<void> {
  for (const started = Date.now(); Date.now() - started < 30_000; await new Promise((resolve) => setTimeout(resolve, 5))) {
    try {
      // (The writer stamps `updated` on the record as it writes.)
      if (isDeepStrictEqual(readRecord(file, 'test'), JSON.parse(JSON.stringify(record)))) return;
    } catch {
      // Not written yet.
    }
  }
}

function trials(count: number) {
  return Array.from({ length: count }, (_, i) => ({ ...newTrial(i + 1, { k: i + 1 }), status: 'finished' as const, values: [0.5, 0.25], value: 0.25, bestEpoch: 2 }));
}

describe('sweep/record', () => {
  it('RecordWriter appends only the trials that changed to the journal; readRecord() replays it in one call', async () => {
    const file = path.join(tmpDir('sweep-journal'), 'sweeps', 'j.json');
    const record: SweepRecord = testRecord({ status: 'running', trials: trials(200) });
    const writer = new RecordWriter(file, () => record, 5);
    await writer.flush();
    const document = fs.readFileSync(file, 'utf8');
    assert.equal(lines(file).filter((line) => line.startsWith('{"number":')).length, 200, 'a line per trial');
    assert.equal(fs.existsSync(journalFile(file)), false);

    record.trials[6].values.push(0.125);
    record.trials[6].value = 0.125;
    record.trials.push({ ...newTrial(201, { k: 201 }), status: 'running' });
    writer.schedule();
    // The journal is appended after the writer's interval (5 ms here): wait for its three entries,
    // each whole (a read may meet an append half done), however loaded the machine.
    const appended = () => {
      if (!fs.existsSync(journalFile(file))) return false;
      const text = fs.readFileSync(journalFile(file), 'utf8');
      const complete = text.endsWith('\n') ? text.trimEnd().split('\n') : [];
      return complete.length >= 4 && complete.every((line) => {
        try {
          JSON.parse(line);
          return true;
        } catch {
          return false;
        }
      });
    };
    for (const started = Date.now(); !appended() && Date.now() - started < 30_000; ) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.equal(fs.readFileSync(file, 'utf8'), document, 'the document is not rewritten for a report');
    const journal = lines(journalFile(file)).map((line) => JSON.parse(line));
    assert.deepEqual(journal.slice(1).map((entry) => entry.trial?.number ?? Object.keys(entry.set)), [['updated'], 7, 201]);
    assert.deepEqual(readRecord(file, 'test'), JSON.parse(JSON.stringify(record)));

    record.status = 'finished';
    await writer.flush();
    assert.equal(fs.existsSync(journalFile(file)), false, 'the journal is folded into the document at the end');
    assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), JSON.parse(JSON.stringify(record)), 'the document alone is the whole record');
  });

  it('RecordWriter writes the record as it was when the write began, though it changes while the file is written (a queued sweep’s copy does)', async () => {
    const file = path.join(tmpDir('sweep-changing'), 'sweeps', 'c.json');
    const record: SweepRecord = testRecord({ status: 'running', trials: trials(50) });
    const writer = new RecordWriter(file, () => record, 5);
    const flushing = writer.flush();
    // Lands while the document is being written.
    await new Promise((resolve) => setImmediate(resolve));
    record.trials.push({ ...newTrial(51, { k: 51 }), status: 'running' });
    await flushing;
    writer.schedule();
    await written(file, record);
    assert.deepEqual(readRecord(file, 'test'), JSON.parse(JSON.stringify(record)), 'the trial added during the write reaches the journal');
  });

  it('RecordWriter: trials added and fields changed while the document is being written go to the journal, not lost (and no "undefined is not valid JSON")', async () => {
    const file = path.join(tmpDir('sweep-journal-race'), 'sweeps', 'j.json');
    const record: SweepRecord = testRecord({ status: 'running', trials: trials(3) });
    let writes = 0;
    const writer = new RecordWriter(
      file,
      () => {
        // The sweep goes on while the document is written (from its first await on): a worker
        // claims a new trial, the status changes.
        if (writes++ === 0) {
          queueMicrotask(() => {
            record.trials.push({ ...newTrial(4, { k: 4 }), status: 'running' });
            record.status = 'stopping';
          });
        }
        return record;
      },
      5,
    );
    await writer.flush();
    writer.schedule();
    await written(file, record);
    assert.deepEqual(readRecord(file, 'test'), JSON.parse(JSON.stringify(record)));
  });

  it('readRecord() leaves out a torn last journal line and a journal left by an older document', async () => {
    const file = path.join(tmpDir('sweep-journal-torn'), 'sweeps', 'j.json');
    const record: SweepRecord = testRecord({ status: 'running', trials: trials(3) });
    const writer = new RecordWriter(file, () => record, 5);
    await writer.flush();
    record.trials[0].values.push(0.1);
    writer.schedule();
    await written(file, record);
    fs.appendFileSync(journalFile(file), '{"trial":{"number":2,"par');
    const read = readRecord(file, 'test') as SweepRecord;
    assert.deepEqual(read.trials.map((trial) => trial.values.length), [3, 2, 2]);

    const stale = fs.readFileSync(journalFile(file), 'utf8');
    await writer.flush();
    fs.writeFileSync(journalFile(file), stale.replace('0.1', '0.7'));
    assert.deepEqual((readRecord(file, 'test') as SweepRecord).trials[0].values, [0.5, 0.25, 0.1], 'a journal whose base is not this document is ignored');
  });

  it('readRecord() loads a record written whole, pretty-printed, by earlier versions', () => {
    const file = path.join(tmpDir('sweep-old-record'), 'sweeps', 'old.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const old = testRecord({ trials: trials(4) });
    fs.writeFileSync(file, `${JSON.stringify(old, null, 1)}\n`);
    assert.deepEqual(readRecord(file, 'test'), old);
  });

  it('RecordWriter folds a journal that outgrows its document into a new document', async () => {
    const file = path.join(tmpDir('sweep-journal-fold'), 'sweeps', 'j.json');
    const record: SweepRecord = testRecord({ status: 'running', trials: trials(2) });
    const writer = new RecordWriter(file, () => record, 1);
    await writer.flush();
    // 64 KB of changes to one trial: the journal would outgrow the document (and its 64 KB floor).
    for (let i = 0; i < 400; i++) {
      record.trials[0].values.push(i);
      writer.schedule();
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    // The last scheduled write lands when it lands (a loaded machine delays its timer): wait for it, not for a fixed time.
    const deadline = Date.now() + 30_000;
    while ((readRecord(file, 'test') as SweepRecord).trials[0].values.length < 402 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    const journalBytes = fs.existsSync(journalFile(file)) ? fs.statSync(journalFile(file)).size : 0;
    assert.ok(journalBytes <= 64 * 1024, `journal of ${journalBytes} bytes`);
    assert.equal((readRecord(file, 'test') as SweepRecord).trials[0].values.length, 402);
  });
});
