/**
 * The on-disk layout of runs and checkpoints, and how a checkpoint is verified on load.
 *
 *     <dir>/<run id>/run.json                 what listRuns() and %runs show, and the newest
 *                                             committed checkpoint (`checkpoint`; atomic replace)
 *     <dir>/<run id>/lock                     pid of the process training the run
 *     <dir>/<run id>/epoch-0003/              one directory per checkpoint, renamed into place
 *         model.json + weights.bin            TF.js layers format: tf.loadLayersModel() reads it
 *         optimizer.bin                       optimizer slots (Adam's m and v, ...)
 *         best.bin                            early stopping's best weights, when not these
 *         state.json                          loop, RNG, schedule, early-stop state and history
 *         manifest.json                       CRC-32 and size of every file above, written last
 *
 * Loading reads JSON and raw float arrays only: nothing in a checkpoint is ever evaluated as code.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as nodeFs from 'node:fs';
import * as path from 'node:path';
import { crc32 } from 'node:zlib';
import { fail, formatValue } from '../errors';
import type { OptimizerMeta } from './snapshot';

export const CHECKPOINT_FORMAT = 'cellfit-checkpoint';
export const RUN_FORMAT = 'cellfit-run';
/**
 * 2: files are checked by CRC-32 (`crc32`) instead of sha256 (version 1, still read). The checksum
 * only detects damage, which CRC-32 does as zip, PNG and btrfs use it; sha256 cost the background
 * writer 2.6–2.8× as much CPU, on the cores training uses.
 */
export const FORMAT_VERSION = 2;

export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';
export const OPTIMIZER_FILE = 'optimizer.bin';
export const BEST_FILE = 'best.bin';
export const STATE_FILE = 'state.json';
export const MANIFEST_FILE = 'manifest.json';
export const RUN_FILE = 'run.json';
/**
 * Written by every commit until issue 15's twelfth round, never read: run.json's `checkpoint` names
 * the newest checkpoint too. A run's next train() removes it, so that it never names a stale one.
 */
export const LATEST_FILE = 'latest.json';
export const LOCK_FILE = 'lock';

/** One file's entry in a manifest: its size and checksum (`crc32` from version 2 on, `sha256` in version 1). */
export interface ManifestEntry {
  readonly bytes: number;
  /** CRC-32 of the file, 8 hex digits. */
  readonly crc32?: string;
  /** sha256 of the file (version 1). */
  readonly sha256?: string;
  /**
   * An identity of the file's bytes, unique to them (see {@link contentId}): a checkpoint directory
   * reused for a new checkpoint keeps a file whose identity is the new file's, instead of writing it
   * again. A checksum cannot say that: two files of equal CRC-32 may differ. Readers ignore it.
   */
  readonly content?: string;
}

/** `manifest.json`: written last, so a checkpoint directory with a valid manifest is complete. */
export interface Manifest {
  readonly format: typeof CHECKPOINT_FORMAT;
  readonly version: number;
  readonly id: string;
  readonly created: string;
  readonly files: Readonly<Record<string, ManifestEntry>>;
}

/**
 * What the store itself reads of a checkpoint's `state.json` (to list, rank and restore it); the
 * training loop's full state extends it (lib/train/state.ts).
 */
export interface StateHeader {
  readonly format: 'cellfit-state';
  readonly position: { readonly epoch: number; readonly batch: number; readonly step: number };
  /** Metrics of the epoch the checkpoint closes ({} mid-epoch). */
  readonly metrics: Readonly<Record<string, number>>;
  readonly optimizer: OptimizerMeta;
  /** The monitor the run ranked its epochs by. */
  readonly best?: { readonly monitor: string };
  /** Which weights a finished run ends with: these, or early stopping's best (best.bin). */
  readonly holds?: 'latest' | 'best';
  readonly time: string;
}

/** A checkpoint whose files are missing, truncated or altered. */
export class DamagedCheckpointError extends Error {
  constructor(
    readonly id: string,
    readonly reason: string,
  ) {
    super(`checkpoint ${id} is damaged: ${reason}`);
    this.name = 'DamagedCheckpointError';
  }
}

const ID_PATTERN = /^epoch-(\d{4,})(?:-batch-(\d{6,}))?$/;

/** The id of the checkpoint after `epoch` completed epochs and `batch` batches of the next. */
export function checkpointId(epoch: number, batch: number): string {
  const head = `epoch-${String(epoch).padStart(4, '0')}`;
  return batch === 0 ? head : `${head}-batch-${String(batch).padStart(6, '0')}`;
}

/** The position a checkpoint id stands for, or undefined when `name` is not a checkpoint id. */
export function parseCheckpointId(name: string): { epoch: number; batch: number } | undefined {
  const match = ID_PATTERN.exec(name);
  if (!match) return undefined;
  return { epoch: Number(match[1]), batch: match[2] === undefined ? 0 : Number(match[2]) };
}

/** Orders checkpoint ids by training position, oldest first. */
export function compareCheckpointIds(a: string, b: string): number {
  const pa = parseCheckpointId(a)!;
  const pb = parseCheckpointId(b)!;
  return pa.epoch - pb.epoch || pa.batch - pb.batch;
}

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Checks a run name (or checkpoint id) given by the user: letters, digits, `.`, `_`, `-`, starting
 * with a letter or digit, so that it is one path segment that cannot climb out of the directory.
 */
export function checkName(name: unknown, option: string, where: string): string {
  if (typeof name !== 'string' || !NAME_PATTERN.test(name) || name.includes('..')) {
    fail(
      where,
      `\`${option}\` must be 1–128 letters, digits, '.', '_' or '-', starting with a letter or digit (it names a directory). Received: ${option}=${formatValue(name)}.`,
    );
  }
  return name;
}

/** `root/name`, after checking that the result really is directly inside `root`. */
export function childPath(root: string, name: string, where: string): string {
  const resolvedRoot = path.resolve(root);
  const child = path.resolve(resolvedRoot, name);
  if (path.dirname(child) !== resolvedRoot) {
    fail(where, `${formatValue(name)} would be outside the checkpoint directory ${resolvedRoot}.`);
  }
  return child;
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The CRC-32 of `data` as a manifest records it: 8 hex digits. */
export function checksum(data: Uint8Array): string {
  return crc32(data).toString(16).padStart(8, '0');
}

/** This process's prefix of content identities: random, so that no other process makes the same ones. */
const CONTENT_PREFIX = randomBytes(8).toString('hex');
let contentCount = 0;
const contentIds = new WeakMap<object, string>();

/**
 * A {@link ManifestEntry.content} identity for the bytes `owner` holds: the same for the same
 * object, and never given to another, in this process or any other. Only for objects whose bytes
 * never change (a snapshot of weights kept as it is).
 */
export function contentId(owner: object): string {
  let id = contentIds.get(owner);
  if (id === undefined) contentIds.set(owner, (id = `${CONTENT_PREFIX}-${++contentCount}`));
  return id;
}

/** JSON as UTF-8 bytes. */
export function jsonBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(jsonText(value));
}

/** The text of a cellfit JSON file ({@link jsonBytes} before encoding). */
export function jsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 1)}\n`;
}

/**
 * `jsonText(state)` for the `state.json` of each checkpoint of a run, character for character, serialising and joining each entry of its `history` once: the history only grows, and
 * serialising all of it for every checkpoint made a long run's checkpoints cost the training
 * thread time in proportion to its epochs. An entry is serialised again when it is not the same
 * object as the one cached at its place (a history that changed, or another run's).
 */
export class StateJson {
  /** The history entries serialised so far, and their text as they appear in the array (indented two levels). */
  private readonly entries: unknown[] = [];
  private readonly texts: string[] = [];
  /** The first `joinedCount` texts, joined as in the array. */
  private joined = '';
  private joinedCount = 0;
  /** Stands for the history while the rest of the state is serialised; random, so that no value of the state holds it. */
  private readonly mark = `cellfit-history-${randomBytes(8).toString('hex')}`;

  /** state.json's text for `state` ({@link jsonText}). */
  text(state: object): string {
    const history: unknown = (state as { history?: unknown }).history;
    if (!Array.isArray(history) || history.length === 0) return jsonText(state);
    const { entries, texts } = this;
    const text = JSON.stringify({ ...state, history: this.mark }, null, 1);
    const quoted = `"${this.mark}"`;
    const at = text.indexOf(quoted);
    if (at < 0 || text.indexOf(quoted, at + 1) >= 0) return jsonText(state);
    let same = 0;
    while (same < history.length && same < entries.length && entries[same] === history[same]) same++;
    if (same < history.length) {
      entries.length = texts.length = same;
      if (this.joinedCount > same) {
        this.joined = '';
        this.joinedCount = 0;
      }
      for (let i = same; i < history.length; i++) {
        entries.push(history[i]);
        // JSON.stringify indents with newlines only (strings escape theirs): nesting it adds two spaces after each.
        texts.push((JSON.stringify(history[i], null, 1) ?? 'null').replace(/\n/g, '\n  '));
      }
    }
    let items: string;
    if (history.length >= this.joinedCount) {
      // Each entry is joined once too: the text of the history so far grows by the new ones.
      for (let i = this.joinedCount; i < history.length; i++) this.joined += i === 0 ? texts[i] : `,\n  ${texts[i]}`;
      this.joinedCount = history.length;
      items = this.joined;
    } else {
      items = texts.slice(0, history.length).join(',\n  ');
    }
    // The history is a member of the top-level object: its entries sit two spaces in, its bracket one.
    return `${text.slice(0, at)}[\n  ${items}\n ]${text.slice(at + quoted.length)}\n`;
  }
}

/** Parses UTF-8 JSON bytes (never evaluates anything). */
export function parseJson(bytes: Uint8Array): unknown {
  return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
}

/**
 * Reads checkpoint `id` from run directory `runDir` and verifies every file against the manifest
 * (size and checksum: CRC-32, or version 1's sha256). Throws {@link DamagedCheckpointError} naming
 * what is wrong.
 */
export function readCheckpointFiles(runDir: string, id: string): { manifest: Manifest; files: Map<string, Uint8Array> } {
  const dir = path.join(runDir, id);
  let manifest: Manifest;
  try {
    manifest = parseJson(nodeFs.readFileSync(path.join(dir, MANIFEST_FILE))) as Manifest;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new DamagedCheckpointError(id, code === 'ENOENT' ? `${MANIFEST_FILE} is missing` : `${MANIFEST_FILE} is unreadable (${(error as Error).message})`);
  }
  if (manifest?.format !== CHECKPOINT_FORMAT || typeof manifest.files !== 'object' || manifest.files === null) {
    throw new DamagedCheckpointError(id, `${MANIFEST_FILE} is not a cellfit checkpoint manifest`);
  }
  if (manifest.version > FORMAT_VERSION) {
    throw new DamagedCheckpointError(id, `it was written by a newer cellfit (format version ${manifest.version}; this one reads ${FORMAT_VERSION})`);
  }
  const files = new Map<string, Uint8Array>();
  for (const [name, entry] of Object.entries(manifest.files)) {
    if (!NAME_PATTERN.test(name)) throw new DamagedCheckpointError(id, `${MANIFEST_FILE} lists an invalid file name ${formatValue(name)}`);
    if (typeof entry !== 'object' || entry === null) throw new DamagedCheckpointError(id, `${MANIFEST_FILE} has no size and checksum for ${name}`);
    let data: Uint8Array;
    try {
      data = nodeFs.readFileSync(path.join(dir, name));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new DamagedCheckpointError(id, code === 'ENOENT' ? `${name} is missing` : `${name} is unreadable (${code ?? (error as Error).message})`);
    }
    if (data.byteLength !== entry.bytes) {
      throw new DamagedCheckpointError(id, `${name} has ${data.byteLength} bytes, the manifest says ${entry.bytes} (truncated or overwritten)`);
    }
    if (typeof entry.crc32 === 'string') {
      if (checksum(data) !== entry.crc32) throw new DamagedCheckpointError(id, `${name} does not match its CRC-32 checksum (corrupted)`);
    } else if (typeof entry.sha256 === 'string') {
      if (sha256(data) !== entry.sha256) throw new DamagedCheckpointError(id, `${name} does not match its sha256 checksum (corrupted)`);
    } else {
      throw new DamagedCheckpointError(id, `${MANIFEST_FILE} gives no checksum for ${name}`);
    }
    files.set(name, data);
  }
  for (const required of [MODEL_FILE, WEIGHTS_FILE, STATE_FILE]) {
    if (!files.has(required)) throw new DamagedCheckpointError(id, `${MANIFEST_FILE} does not list ${required}`);
  }
  return { manifest, files };
}
