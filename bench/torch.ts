/**
 * PyTorch CPU as a speed reference: one long-lived Python process (Debian's python3-torch) that
 * trains the same MLP on the same kind of data whenever asked, so that its runs interleave with
 * ours in one bench run. When python3-torch is not installed the bench says so; CI does not
 * install it.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as readline from 'node:readline';

/** An MLP task as both sides train it: ReLU hidden layers, an output layer, Adam, mini-batches. */
export interface TorchTask {
  readonly inputs: number;
  readonly hidden: readonly number[];
  /** Output units; with `classes`, a softmax classifier trained with cross-entropy. */
  readonly outputs: number;
  readonly classes?: boolean;
  readonly rows: number;
  readonly batchSize: number;
  readonly epochs: number;
  /** torch.set_num_threads; omitted: PyTorch's default (one per core). */
  readonly threads?: number;
}

const PYTHON = '/usr/bin/python3';

const SCRIPT = String.raw`
import json, sys, time, torch
default_threads = torch.get_num_threads()
print(json.dumps({"ready": True, "version": torch.__version__, "threads": default_threads}), flush=True)
for line in sys.stdin:
    task = json.loads(line)
    torch.set_num_threads(task.get("threads") or default_threads)
    torch.manual_seed(1)
    xs = torch.randn(task["rows"], task["inputs"])
    if task.get("classes"):
        ys = torch.randint(0, task["outputs"], (task["rows"],))
        loss_fn = torch.nn.CrossEntropyLoss()
    else:
        ys = torch.sin(xs).sum(1, keepdim=True).repeat(1, task["outputs"])
        loss_fn = torch.nn.MSELoss()
    layers, width = [], task["inputs"]
    for units in task["hidden"]:
        layers += [torch.nn.Linear(width, units), torch.nn.ReLU()]
        width = units
    model = torch.nn.Sequential(*layers, torch.nn.Linear(width, task["outputs"]))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    def epoch():
        order = torch.randperm(task["rows"])
        for start in range(0, task["rows"], task["batchSize"]):
            index = order[start:start + task["batchSize"]]
            optimizer.zero_grad()
            loss = loss_fn(model(xs[index]), ys[index])
            loss.backward()
            optimizer.step()
    epoch()
    start = time.perf_counter()
    for _ in range(task["epochs"]):
        epoch()
    seconds = time.perf_counter() - start
    print(json.dumps({"samplesPerSecond": task["rows"] * task["epochs"] / seconds, "threads": torch.get_num_threads()}), flush=True)
`;

/** A running PyTorch process; `run()` trains one task and gives its samples per second. */
export interface TorchReference {
  readonly version: string;
  /** PyTorch's default thread count on this machine. */
  readonly threads: number;
  run(task: TorchTask): Promise<{ samplesPerSecond: number; threads: number }>;
  close(): void;
}

/** Starts the reference, or says why it cannot (python3-torch missing). */
export async function startTorch(): Promise<TorchReference | { error: string }> {
  if (spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status !== 0) return { error: 'not installed (apt-get install python3-torch to compare)' };
  const child: ChildProcessWithoutNullStreams = spawn(PYTHON, ['-c', SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines = readline.createInterface({ input: child.stdout });
  const waiting: { resolve: (line: string) => void; reject: (error: Error) => void }[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  lines.on('line', (line) => waiting.shift()?.resolve(line));
  child.on('exit', (code) => {
    for (const pending of waiting.splice(0)) pending.reject(new Error(`the PyTorch reference exited (${code}): ${stderr.trim()}`));
  });
  const next = () => new Promise<string>((resolve, reject) => waiting.push({ resolve, reject }));
  const hello = JSON.parse(await next()) as { version: string; threads: number };
  return {
    version: hello.version,
    threads: hello.threads,
    async run(task) {
      const reply = next();
      child.stdin.write(`${JSON.stringify(task)}\n`);
      return JSON.parse(await reply);
    },
    close() {
      child.stdin.end();
      child.kill();
    },
  };
}
