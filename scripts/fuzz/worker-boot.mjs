// Case process entry: registers the TypeScript loader (a tsx-started parent does not pass it on), then runs the
// case worker.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
