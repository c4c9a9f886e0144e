// The deploy step moved to src/pipeline/build.ts (orchestration sits above code generation and verification);
// this re-export keeps existing imports working.
export * from '../pipeline/build.js';
