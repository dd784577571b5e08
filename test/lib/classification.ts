/** Data shared by the classification tests. */
import { Rng } from '../../lib/random';

/** Two overlapping classes in two features (labels 0/1 in a [n, 1] array). */
export function binaryProblem(rows = 400): { xs: number[][]; ys: number[][] } {
  const rng = new Rng('binary-problem');
  const xs: number[][] = [];
  const ys: number[][] = [];
  for (let i = 0; i < rows; i++) {
    const a = rng.random() * 4 - 2;
    const b = rng.random() * 4 - 2;
    xs.push([a, b]);
    ys.push([a + 0.5 * b + (rng.random() - 0.5) * 1.5 > 0 ? 1 : 0]);
  }
  return { xs, ys };
}

