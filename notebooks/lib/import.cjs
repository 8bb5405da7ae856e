// A real dynamic import for notebook cells. tslab runs cells in a vm context compiled to CommonJS,
// where `import()` has no module loader behind it (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING); code in
// a file loaded by Node's own require does. The kernel runs with `--import tsx` (notebooks/run.ts
// registers it so), so the project's TypeScript modules load here exactly as `npm start` loads them.
'use strict';
module.exports = (specifier) => import(specifier);
