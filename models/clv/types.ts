/**
 * Shared types for the CLV models. Time is in weeks throughout (days / 7), as in the papers.
 * Columns are arrays indexed by customer, so a million customers fit in a few typed arrays.
 */

/** BG/NBD parameters (Fader, Hardie & Lee 2005): purchase rate ~ Gamma(r, α), dropout p ~ Beta(a, b). */
export interface BgNbdParams {
  r: number;
  alpha: number;
  a: number;
  b: number;
}

/** Gamma-Gamma spend parameters (Fader & Hardie 2013): E(M) for a new customer = p·γ / (q − 1). */
export interface GammaGammaParams {
  p: number;
  q: number;
  gamma: number;
}

/**
 * The sufficient statistics of the BG/NBD, one entry per customer.
 * - frequency: x, repeat purchases (purchase days after the first) in the calibration period;
 * - recency: t_x, weeks from the first purchase to the last one (0 when x = 0);
 * - T: weeks from the first purchase to the end of the calibration period.
 * `weight` (optional) counts identical customers folded into one row.
 */
export interface RfmColumns {
  frequency: ArrayLike<number>;
  recency: ArrayLike<number>;
  T: ArrayLike<number>;
  weight?: ArrayLike<number>;
}

/** Inputs of the Gamma-Gamma model: x and the mean value of the x repeat purchases. */
export interface SpendColumns {
  frequency: ArrayLike<number>;
  monetaryValue: ArrayLike<number>;
  weight?: ArrayLike<number>;
}

/** Optimiser settings shared by the fitters (Nelder–Mead on log-parameters). */
export interface FitOptions<P> {
  /** Start point in natural units (each model documents its defaults). */
  start?: Partial<P>;
  /**
   * 'bfgs' (default): quasi-Newton with the analytic gradient, falling back to Nelder–Mead from
   * where it stopped if it does not converge. 'nelder-mead': derivative-free only (a cross-check).
   */
  optimizer?: 'bfgs' | 'nelder-mead';
  maxEvaluations?: number;
  /** Compute standard errors from the observed information (numeric Hessian). Default true. */
  standardErrors?: boolean;
}

export interface FitDiagnostics {
  /** Log-likelihood at the optimum (sum over customers, weights applied). */
  logLikelihood: number;
  /** Number of customers (sum of weights) the model was fitted on. */
  customers: number;
  converged: boolean;
  evaluations: number;
  /** Largest |∂LL/∂log θ| at the optimum (analytic gradient): ≈ 0 at a true maximum. */
  maxScore: number;
  /** The optimiser that produced the estimate. */
  optimizer: 'bfgs' | 'nelder-mead';
}

export interface ModelFit<P> extends FitDiagnostics {
  params: P;
  /** Asymptotic standard errors, same keys as params (NaN where the Hessian is not invertible). */
  standardErrors?: P;
}
