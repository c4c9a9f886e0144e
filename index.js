// `import('espforge')` from plain Node: Node 20 cannot load TypeScript, so this entry registers tsx's ESM loader
// (a runtime dependency) and then loads the typed library, src/api.ts. TypeScript consumers get the types from
// src/api.ts directly (package.json "exports" → "types"). The names below are checked against src/api.ts by
// test/api/package.test.ts.
import { register } from 'tsx/esm/api';

register();
const api = await import('./src/api.ts');

export const {
  loadModel,
  warnings,
  inspect,
  quantize,
  simulate,
  build,
  verify,
  train,
  evaluate,
  isQuantized,
  EspforgeError,
  STAGES,
  CALIB_COUNT,
  CALIB_SPLIT,
  VERSION,
} = api;
export default api;
