import { InputError } from '../core/input-error.ts';
import { planColumns, type CompiledMapping } from '../mapping/compile.ts';

/** The column plan of an input's names; throws (nothing loads) when a required field has no column. */
export function checkColumns(compiled: CompiledMapping, names: readonly string[]): ReturnType<typeof planColumns> {
  const plan = planColumns(compiled, names);
  if (plan.missingRequired.length > 0) {
    throw new InputError(
      `no column for required field${plan.missingRequired.length > 1 ? 's' : ''} ${plan.missingRequired.join(', ')} ` +
        `(columns: ${names.join(', ')}); rename yours with "columns" in a mapping file${plan.missingRequired.includes('source') ? ', or pass --source' : ''}`,
    );
  }
  return plan;
}
