/**
 * Nelder–Mead simplex minimiser with restarts. Deterministic: the simplex is built from the start
 * point with fixed steps along each axis, and nothing is random.
 *
 * Restarting from the best vertex with a fresh simplex guards against the known failure of a
 * collapsed simplex stopping short of the optimum (Lagarias et al. 1998); we restart until a
 * restart no longer moves the optimum.
 */

export interface NelderMeadOptions {
  /** Initial simplex step along each coordinate (default 0.5). */
  step?: number;
  /** Stop when every vertex is within this distance of the best, per coordinate (default 1e-9). */
  xTolerance?: number;
  /** …and every vertex's value is within this of the best (default 1e-12). */
  fTolerance?: number;
  /** Budget over all restarts (default 20 000). */
  maxEvaluations?: number;
  /** Fresh simplices after the first run (default 8). */
  maxRestarts?: number;
}

export interface MinimizeResult {
  x: Float64Array;
  value: number;
  evaluations: number;
  restarts: number;
  converged: boolean;
}

type Objective = (x: Float64Array) => number;

export function nelderMead(f: Objective, start: ArrayLike<number>, options: NelderMeadOptions = {}): MinimizeResult {
  const step = options.step ?? 0.5;
  const xTol = options.xTolerance ?? 1e-9;
  const fTol = options.fTolerance ?? 1e-12;
  const maxEvaluations = options.maxEvaluations ?? 20_000;
  const maxRestarts = options.maxRestarts ?? 8;

  let evaluations = 0;
  const evaluate: Objective = (x) => {
    evaluations++;
    const v = f(x);
    return Number.isNaN(v) ? Infinity : v;
  };

  let best: Float64Array = Float64Array.from(start);
  let bestValue = evaluate(best);
  let restarts = 0;
  let converged = false;
  for (let run = 0; run <= maxRestarts; run++) {
    const r = simplexRun(evaluate, best, step, xTol, fTol, () => evaluations < maxEvaluations);
    const improved = bestValue - r.value;
    const moved = maxAbsDiff(best, r.x);
    if (r.value <= bestValue) {
      best = r.x;
      bestValue = r.value;
    }
    if (run > 0) restarts++;
    if (!r.converged) break;
    // A restart that neither improves nor moves the optimum confirms it.
    if (run > 0 && improved <= fTol * (1 + Math.abs(bestValue)) && moved <= Math.max(xTol * 100, 1e-7)) {
      converged = true;
      break;
    }
  }
  return { x: best, value: bestValue, evaluations, restarts, converged };
}

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function simplexRun(
  f: Objective,
  x0: Float64Array,
  step: number,
  xTol: number,
  fTol: number,
  budgetLeft: () => boolean,
): { x: Float64Array; value: number; converged: boolean } {
  const n = x0.length;
  const pts: Float64Array[] = [Float64Array.from(x0)];
  for (let i = 0; i < n; i++) {
    const p = Float64Array.from(x0);
    p[i] += step;
    pts.push(p);
  }
  const vals = pts.map((p) => f(p));
  const centroid = new Float64Array(n);
  const xr = new Float64Array(n);
  const xe = new Float64Array(n);
  const xc = new Float64Array(n);
  const order = Array.from({ length: n + 1 }, (_, i) => i);

  const towards = (out: Float64Array, from: Float64Array, to: Float64Array, t: number): Float64Array => {
    for (let j = 0; j < n; j++) out[j] = from[j] + t * (to[j] - from[j]);
    return out;
  };

  while (budgetLeft()) {
    order.sort((i, j) => vals[i] - vals[j]);
    const bi = order[0];
    const wi = order[n];
    const si = order[n - 1];

    let spreadX = 0;
    let spreadF = 0;
    for (let k = 1; k <= n; k++) {
      const idx = order[k];
      spreadF = Math.max(spreadF, Math.abs(vals[idx] - vals[bi]));
      for (let j = 0; j < n; j++) spreadX = Math.max(spreadX, Math.abs(pts[idx][j] - pts[bi][j]));
    }
    if (spreadX <= xTol && spreadF <= fTol * (1 + Math.abs(vals[bi]))) {
      return { x: Float64Array.from(pts[bi]), value: vals[bi], converged: true };
    }

    centroid.fill(0);
    for (let k = 0; k < n; k++) {
      const p = pts[order[k]];
      for (let j = 0; j < n; j++) centroid[j] += p[j] / n;
    }

    // Reflection, expansion, outside/inside contraction, shrink (coefficients 1, 2, ½, ½).
    towards(xr, centroid, pts[wi], -1);
    const fr = f(xr);
    if (fr < vals[bi]) {
      towards(xe, centroid, pts[wi], -2);
      const fe = f(xe);
      if (fe < fr) {
        pts[wi].set(xe);
        vals[wi] = fe;
      } else {
        pts[wi].set(xr);
        vals[wi] = fr;
      }
      continue;
    }
    if (fr < vals[si]) {
      pts[wi].set(xr);
      vals[wi] = fr;
      continue;
    }
    if (fr < vals[wi]) {
      towards(xc, centroid, xr, 0.5);
      const fc = f(xc);
      if (fc <= fr) {
        pts[wi].set(xc);
        vals[wi] = fc;
        continue;
      }
    } else {
      towards(xc, centroid, pts[wi], 0.5);
      const fc = f(xc);
      if (fc < vals[wi]) {
        pts[wi].set(xc);
        vals[wi] = fc;
        continue;
      }
    }
    for (let k = 1; k <= n; k++) {
      const idx = order[k];
      towards(pts[idx], pts[bi], pts[idx], 0.5);
      vals[idx] = f(pts[idx]);
    }
  }
  let bi = 0;
  for (let k = 1; k <= n; k++) if (vals[k] < vals[bi]) bi = k;
  return { x: Float64Array.from(pts[bi]), value: vals[bi], converged: false };
}
