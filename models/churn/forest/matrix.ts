/**
 * Feature matrices the forest accepts. Missing values are NaN (null/undefined in plain arrays are
 * read as NaN too).
 */
export type NumericColumn = Float64Array | Float32Array | ReadonlyArray<number | null | undefined>;

export type FeatureMatrix =
  /** Row-major: value of feature j of row i at `values[i * nCols + j]`. */
  | { readonly values: Float64Array | Float32Array; readonly nCols: number }
  /** Column-major: one array per feature, all of the same length. */
  | { readonly columns: ReadonlyArray<NumericColumn> };

export function matrixShape(x: FeatureMatrix): { nRows: number; nCols: number } {
  if ('values' in x) {
    if (!Number.isInteger(x.nCols) || x.nCols <= 0) throw new RangeError(`nCols must be a positive integer, got ${x.nCols}`);
    if (x.values.length % x.nCols !== 0) {
      throw new RangeError(`values.length ${x.values.length} is not a multiple of nCols ${x.nCols}`);
    }
    return { nRows: x.values.length / x.nCols, nCols: x.nCols };
  }
  const nCols = x.columns.length;
  if (nCols === 0) throw new RangeError('columns must not be empty');
  const nRows = x.columns[0].length;
  for (let j = 1; j < nCols; j++) {
    if (x.columns[j].length !== nRows) {
      throw new RangeError(`column ${j} has ${x.columns[j].length} rows, column 0 has ${nRows}`);
    }
  }
  return { nRows, nCols };
}

/** Copies feature `j` (all rows) into `out` as float64, NaN for missing. */
export function readColumn(x: FeatureMatrix, j: number, out: Float64Array): void {
  if ('values' in x) {
    const { values, nCols } = x;
    for (let i = 0, k = j; i < out.length; i++, k += nCols) out[i] = values[k];
    return;
  }
  const col = x.columns[j];
  if (col instanceof Float64Array || col instanceof Float32Array) {
    out.set(col);
    return;
  }
  for (let i = 0; i < out.length; i++) {
    const v = col[i];
    out[i] = v == null ? NaN : v;
  }
}

/**
 * Copies rows [start, start + count) into `out` (row-major float64), so hot loops read one
 * monomorphic array whatever the input layout.
 */
export function readRowBlock(x: FeatureMatrix, start: number, count: number, nCols: number, out: Float64Array): void {
  if ('values' in x) {
    const from = start * nCols;
    if (x.values instanceof Float64Array) {
      out.set(x.values.subarray(from, from + count * nCols));
    } else {
      const src = x.values;
      for (let k = 0, n = count * nCols; k < n; k++) out[k] = src[from + k];
    }
    return;
  }
  for (let j = 0; j < nCols; j++) {
    const col = x.columns[j];
    if (col instanceof Float64Array || col instanceof Float32Array) {
      for (let i = 0, k = j; i < count; i++, k += nCols) out[k] = col[start + i];
    } else {
      for (let i = 0, k = j; i < count; i++, k += nCols) {
        const v = col[start + i];
        out[k] = v == null ? NaN : v;
      }
    }
  }
}
