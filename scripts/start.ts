/**
 * `npm start`: the main job. Registers the Jupyter kernel (`cellfit install --user`), then executes
 * every tutorial in `notebooks/` headless with the cellfit runner — Node only, no Jupyter needed —
 * into `notebooks/out/NAME.ipynb` and `notebooks/out/NAME.html` (charts included, offline), prints a
 * summary, and exits with 1 if any tutorial failed (their last cells assert their claims).
 *
 *   npm start                      every tutorial
 *   npm start -- 03 06             the tutorials whose names start with 03 or 06
 *   CELLFIT_JOBS=1 npm start       one notebook at a time (default: one per core, at most 4)
 */
import path from 'node:path';
import { backendInfo, ready } from '../lib';
import { installKernelSpec } from '../kernel/install';
import { defaultConcurrency, REPO, runTutorials, summaryTable, tutorialNotebooks, TUTORIALS } from './tutorials';

async function main(args: readonly string[]): Promise<number> {
  const backend = await ready();
  const unavailable = Object.entries(backendInfo().backends).filter(([name, status]) => name !== backend && !status.available);
  console.log(`cellfit: tensors run on the ${backend} backend${unavailable.length ? ` (${unavailable.map(([name, status]) => `${name}: ${status.reason}`).join('; ')})` : ''}`);

  try {
    const where = installKernelSpec({ user: true });
    console.log(`cellfit: the Jupyter kernel "TypeScript (cellfit)" is installed in ${where}`);
  } catch (error) {
    // The tutorials below do not need it: the runner starts the kernel itself.
    console.warn(`cellfit: could not install the Jupyter kernelspec (${error instanceof Error ? error.message : String(error)}); continuing.`);
  }

  const files = tutorialNotebooks().filter((file) => args.length === 0 || args.some((prefix) => path.basename(file).startsWith(prefix)));
  if (files.length === 0) {
    console.error(`cellfit: no tutorial in ${path.relative(REPO, TUTORIALS)}/ matches ${args.join(' ')}.`);
    return 1;
  }
  const outDir = path.join(TUTORIALS, 'out');
  const concurrency = Math.min(defaultConcurrency(), files.length);
  console.log(`cellfit: executing ${files.length} tutorial${files.length === 1 ? '' : 's'} into ${path.relative(process.cwd(), outDir) || '.'}/ (${concurrency} at a time)…`);
  const started = performance.now();
  const results = await runTutorials(files, {
    outDir,
    concurrency,
    onDone: (result) => {
      console.log(`  ${result.status === 'ok' ? '✓' : '✗'} ${result.name} (${result.seconds.toFixed(1)} s)`);
      if (result.failure) {
        console.log(`\n    cell ${result.failure.cell} failed:\n\n${indent(result.failure.source)}\n\n${indent(result.failure.error)}\n`);
      }
    },
  });
  console.log(`\n${summaryTable(results)}\n`);
  const failed = results.filter((result) => result.status !== 'ok');
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  const relative = (file: string) => path.relative(process.cwd(), file);
  if (failed.length > 0) {
    console.log(`cellfit: ${failed.length} of ${results.length} tutorials failed (${seconds} s); their outputs are in ${failed.map((r) => relative(r.notebook)).join(', ')}.`);
    return 1;
  }
  const all = results.length === 1 ? 'the tutorial ran and its claims hold' : `all ${results.length} tutorials ran and their claims hold`;
  console.log(`cellfit: ${all} (${seconds} s). Open ${relative(path.join(outDir, results[0].name + '.html'))}${results.length > 1 ? ' and the others' : ''} in a browser,`);
  console.log('or the notebooks in JupyterLab / VS Code with the kernel "TypeScript (cellfit)".');
  return 0;
}

function indent(text: string): string {
  return text.split('\n').map((line) => `      ${line}`).join('\n');
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(error instanceof Error ? error.stack ?? error.message : error);
    process.exit(1);
  },
);
