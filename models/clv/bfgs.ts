/**
 * BFGS quasi-Newton minimiser with a backtracking (Armijo) line search (Nocedal & Wright 2006,
 * alg. 6.1; initial inverse-Hessian scaling eq. 6.20). Deterministic. Used on log-parameters with
 * analytic gradients, where it needs a few dozen evaluations against Nelder–Mead's several hundred.
 *
 * Stopping: f is a sum over many customers, so its last digits are rounding noise and the gradient
 * cannot be driven to an arbitrary tolerance. Besides a gradient test, an iteration that lowers f by
 * less than `fTolerance` (relative), or a quasi-Newton step shorter than `stepTolerance`, ends the
 * search once the gradient is small; a line search that finds no decrease at all does the same.
 */
import type { MinimizeResult } from './nelder-mead.ts';

export interface BfgsOptions {
  /** Stop when max |∂f/∂x_i| ≤ this (default 1e-9). */
  gradientTolerance?: number;
  /** …or when an iteration lowers f by less than this × max(1, |f|) (default 1e-13)… */
  fTolerance?: number;
  /** …or when the quasi-Newton step is below this in every coordinate (default 1e-8)… */
  stepTolerance?: number;
  /** …provided that max |∂f/∂x_i| ≤ this (default 1e-5). */
  gradientCeiling?: number;
  maxIterations?: number;
  /** Longest step per coordinate in one iteration (default 3: a factor e³ on a log-parameter). */
  maxStep?: number;
}

export interface BfgsResult extends MinimizeResult {
  iterations: number;
  gradientNorm: number;
}

/** `fg(x, grad)` returns f(x) and writes ∇f(x) into grad. */
export function bfgs(
  fg: (x: Float64Array, grad: Float64Array) => number,
  start: ArrayLike<number>,
  options: BfgsOptions = {},
): BfgsResult {
  const gtol = options.gradientTolerance ?? 1e-9;
  const ftol = options.fTolerance ?? 1e-13;
  const xtol = options.stepTolerance ?? 1e-8;
  const gCeiling = options.gradientCeiling ?? 1e-5;
  const maxIterations = options.maxIterations ?? 200;
  const maxStep = options.maxStep ?? 3;
  const n = start.length;
  let evaluations = 0;
  const evaluate = (x: Float64Array, g: Float64Array): number => {
    evaluations++;
    const v = fg(x, g);
    return Number.isFinite(v) ? v : Infinity;
  };

  let x = Float64Array.from(start);
  let g = new Float64Array(n);
  let f = evaluate(x, g);
  const H = new Float64Array(n * n);
  let hIsIdentity = true;
  const resetH = (): void => {
    H.fill(0);
    for (let i = 0; i < n; i++) H[i * n + i] = 1;
    hIsIdentity = true;
  };
  resetH();
  const d = new Float64Array(n);
  let xNew = new Float64Array(n);
  let gNew = new Float64Array(n);
  const s = new Float64Array(n);
  const y = new Float64Array(n);
  const Hy = new Float64Array(n);
  let iterations = 0;
  let converged = false;

  while (iterations < maxIterations && Number.isFinite(f)) {
    const gNorm = normInf(g);
    if (gNorm <= gtol) {
      converged = true;
      break;
    }
    // d = −H g; if that is not a descent direction, restart from steepest descent.
    for (let i = 0; i < n; i++) {
      let v = 0;
      for (let j = 0; j < n; j++) v -= H[i * n + j] * g[j];
      d[i] = v;
    }
    let slope = dot(g, d);
    if (!(slope < 0)) {
      resetH();
      for (let i = 0; i < n; i++) d[i] = -g[i];
      slope = -dot(g, g);
    }
    if (!hIsIdentity && normInf(d) <= xtol && gNorm <= gCeiling) {
      converged = true;
      break;
    }
    iterations++;

    let step = Math.min(1, maxStep / normInf(d));
    let fNew = Infinity;
    let accepted = false;
    for (let k = 0; k < 30; k++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i] + step * d[i];
      fNew = evaluate(xNew, gNew);
      if (fNew <= f + 1e-4 * step * slope) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    if (!accepted) {
      // No decrease along d. A stale curvature model can cause that: retry once from steepest
      // descent. Otherwise we are at the rounding floor of f: an optimum if the gradient is small.
      if (!hIsIdentity) {
        resetH();
        continue;
      }
      converged = gNorm <= gCeiling;
      break;
    }

    const drop = f - fNew;
    for (let i = 0; i < n; i++) {
      s[i] = xNew[i] - x[i];
      y[i] = gNew[i] - g[i];
    }
    [x, xNew] = [xNew, x];
    [g, gNew] = [gNew, g];
    f = fNew;
    if (drop <= ftol * Math.max(1, Math.abs(f)) && normInf(g) <= gCeiling) {
      converged = true;
      break;
    }

    const sy = dot(s, y);
    if (sy > 1e-14 * Math.sqrt(dot(s, s) * dot(y, y))) {
      if (hIsIdentity) {
        // Scale the initial inverse Hessian to the curvature just observed.
        const scale = sy / dot(y, y);
        for (let i = 0; i < n; i++) H[i * n + i] = scale;
        hIsIdentity = false;
      }
      // H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ, expanded (H is symmetric).
      const rho = 1 / sy;
      for (let i = 0; i < n; i++) {
        let v = 0;
        for (let j = 0; j < n; j++) v += H[i * n + j] * y[j];
        Hy[i] = v;
      }
      const yHy = dot(y, Hy);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          H[i * n + j] += -rho * (Hy[i] * s[j] + s[i] * Hy[j]) + (rho * rho * yHy + rho) * s[i] * s[j];
        }
      }
    }
  }
  return { x, value: f, evaluations, restarts: 0, converged, iterations, gradientNorm: normInf(g) };
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function normInf(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}
