import { bfgs } from './bfgs.ts';
import { nelderMead } from './nelder-mead.ts';
import type { FitOptions, ModelFit } from './types.ts';

/** A log-likelihood over positive parameters θ, with its gradient ∂LL/∂θ (written into `grad`). */
export interface Likelihood {
  value(theta: ArrayLike<number>): number;
  valueAndGradient(theta: ArrayLike<number>, grad: Float64Array): number;
}

/**
 * Maximum likelihood over positive parameters, optimising u = log θ (positivity for free, and
 * r ≈ 0.2 next to α ≈ 4 is no scaling problem) on −LL/n (tolerances independent of the number of
 * customers). BFGS with the analytic gradient; Nelder–Mead with restarts from wherever BFGS stopped
 * if it did not converge, or on request. Then the score at the optimum and standard errors from the
 * observed information (central differences of the analytic gradient).
 */
export function maximizeLikelihood<P extends object>(
  names: readonly (keyof P & string)[],
  ll: Likelihood,
  n: number,
  start: P,
  options: FitOptions<P>,
): ModelFit<P> {
  const k = names.length;
  const theta = new Float64Array(k);
  const gTheta = new Float64Array(k);
  const toTheta = (u: ArrayLike<number>): Float64Array => {
    for (let i = 0; i < k; i++) theta[i] = Math.exp(u[i]);
    return theta;
  };
  /** LL and ∂LL/∂u at u = log θ. */
  const llAndScore = (u: ArrayLike<number>, score: Float64Array): number => {
    const v = ll.valueAndGradient(toTheta(u), gTheta);
    for (let i = 0; i < k; i++) score[i] = theta[i] * gTheta[i];
    return v;
  };
  const u0 = names.map((name) => {
    const v = (options.start?.[name] as number | undefined) ?? (start[name] as number);
    if (!(v > 0) || !Number.isFinite(v)) throw new RangeError(`start value for ${name} must be positive, got ${v}`);
    return Math.log(v);
  });

  let uHat: Float64Array;
  let converged: boolean;
  let evaluations = 0;
  let optimizer: 'bfgs' | 'nelder-mead' = options.optimizer ?? 'bfgs';
  let nmStart: ArrayLike<number> = u0;
  if (optimizer === 'bfgs') {
    const r = bfgs(
      (u, grad) => {
        const v = llAndScore(u, grad);
        for (let i = 0; i < k; i++) grad[i] = -grad[i] / n;
        return -v / n;
      },
      u0,
      { maxIterations: options.maxEvaluations ? Math.ceil(options.maxEvaluations / 2) : undefined },
    );
    uHat = r.x;
    converged = r.converged;
    evaluations = r.evaluations;
    nmStart = r.x;
    // Nelder–Mead is a rescue for a BFGS run that went astray (e.g. a non-finite region), not a
    // polish: it costs hundreds of evaluations, too many for a million customers.
    if (!converged && !(r.gradientNorm <= 1e-5)) optimizer = 'nelder-mead';
  }
  if (optimizer === 'nelder-mead') {
    const r = nelderMead((u) => -ll.value(toTheta(u)) / n, nmStart, { maxEvaluations: options.maxEvaluations });
    uHat = r.x;
    converged = r.converged;
    evaluations += r.evaluations;
  }
  uHat = uHat!;

  const score = new Float64Array(k);
  const value = llAndScore(uHat, score);
  const params = toParams<P>(names, uHat, (u) => Math.exp(u));
  let maxScore = 0;
  for (let i = 0; i < k; i++) maxScore = Math.max(maxScore, Math.abs(score[i]));

  let standardErrors: P | undefined;
  if (options.standardErrors !== false) {
    // Observed information in log θ; Var(θ_i) ≈ θ_i² Var(log θ_i) (delta method; the score is 0 here).
    const cov = invert(negHessian(llAndScore, uHat, 1e-5));
    standardErrors = toParams<P>(names, uHat, (u, i) => {
      const v = cov?.[i * k + i];
      return v !== undefined && v > 0 ? Math.exp(u) * Math.sqrt(v) : NaN;
    });
  }

  return {
    params,
    standardErrors,
    logLikelihood: value,
    customers: n,
    converged: converged! && Number.isFinite(value),
    evaluations,
    maxScore,
    optimizer,
  };
}

function toParams<P>(names: readonly string[], u: Float64Array, f: (u: number, i: number) => number): P {
  const out: Record<string, number> = {};
  names.forEach((name, i) => (out[name] = f(u[i], i)));
  return out as P;
}

/** −∂²LL/∂u∂uᵀ by central differences of the analytic score, symmetrised. */
function negHessian(score: (u: ArrayLike<number>, out: Float64Array) => number, u: Float64Array, h: number): Float64Array {
  const k = u.length;
  const H = new Float64Array(k * k);
  const p = Float64Array.from(u);
  const up = new Float64Array(k);
  const down = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    p[j] = u[j] + h;
    score(p, up);
    p[j] = u[j] - h;
    score(p, down);
    p[j] = u[j];
    for (let i = 0; i < k; i++) H[i * k + j] = -(up[i] - down[i]) / (2 * h);
  }
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < i; j++) H[i * k + j] = H[j * k + i] = 0.5 * (H[i * k + j] + H[j * k + i]);
  }
  return H;
}

/** Gauss–Jordan inverse with partial pivoting; undefined when (numerically) singular. */
export function invert(m: Float64Array): Float64Array | undefined {
  const k = Math.round(Math.sqrt(m.length));
  const a = Float64Array.from(m);
  const inv = new Float64Array(k * k);
  for (let i = 0; i < k; i++) inv[i * k + i] = 1;
  for (let c = 0; c < k; c++) {
    let piv = c;
    for (let r = c + 1; r < k; r++) if (Math.abs(a[r * k + c]) > Math.abs(a[piv * k + c])) piv = r;
    const pv = a[piv * k + c];
    if (!(Math.abs(pv) > 1e-300)) return undefined;
    if (piv !== c) {
      for (let j = 0; j < k; j++) {
        [a[c * k + j], a[piv * k + j]] = [a[piv * k + j], a[c * k + j]];
        [inv[c * k + j], inv[piv * k + j]] = [inv[piv * k + j], inv[c * k + j]];
      }
    }
    for (let j = 0; j < k; j++) {
      a[c * k + j] /= pv;
      inv[c * k + j] /= pv;
    }
    for (let r = 0; r < k; r++) {
      if (r === c) continue;
      const fct = a[r * k + c];
      if (fct === 0) continue;
      for (let j = 0; j < k; j++) {
        a[r * k + j] -= fct * a[c * k + j];
        inv[r * k + j] -= fct * inv[c * k + j];
      }
    }
  }
  return inv;
}
