// The whole pipeline, named: import → passes → quantize → prepare → lower-io → plan → emit. Each stage is timed
// and can be dumped (`--dump-after STAGE`, where STAGE is a stage name or one of the float passes of
// src/passes, which run inside the `passes` stage). A Trace is handed down the pipeline and collects both; nothing
// here prints. Timings never go into generated files (they are not reproducible); commands show them with
// --timings or in --json.
//
//   import     model file → IR (src/import)
//   passes     the float pass pipeline (src/passes: canonicalise, matmul-to-fc, fold-batchnorm, ...)
//   quantize   calibration + post-training quantization (src/quant/ptq.ts), on the calibration rule's samples
//   prepare    integer parameters computed once per node (src/sim/int.ts prepareIntGraph)
//   lower-io   float model I/O → integer I/O of the C library (Quantize/Dequantize at the boundary removed)
//   plan       the static arena's memory plan (computed by the C emitter; its time is counted in `emit`)
//   emit       the C library (src/codegen/c) and the ESP-IDF project files

import { fail } from '../diagnostics.js';
import type { Graph } from '../ir/graph.js';
import { PASS_NAMES, type PassStep } from '../passes/index.js';

export const STAGES = ['import', 'passes', 'quantize', 'prepare', 'lower-io', 'plan', 'emit'] as const;
export type StageName = (typeof STAGES)[number];

export interface StageTiming {
  stage: string;
  /** Wall time in milliseconds (0 for `plan`: it runs inside `emit`). */
  ms: number;
  /** Node count after the stage, for graph stages. */
  nodes?: number;
  /** The float passes inside `passes`. */
  passes?: { name: string; ms: number; nodesBefore: number; nodesAfter: number }[];
}

/** What a stage produced, kept when asked for with dumpAfter. */
export interface StageDump {
  stage: string;
  graph?: Graph;
  /** The memory plan (stage `plan`): one row per arena tensor. */
  plan?: { arenaSize: number; lowerBound: number; tensors: { tensor: string; offset: number; size: number; firstUse: number; lastUse: number }[] };
  /** The files emitted (stage `emit`): name → bytes. */
  files?: Record<string, number>;
}

/** Names --dump-after accepts: the stages and the float passes. */
export const DUMP_NAMES: readonly string[] = [...STAGES, ...PASS_NAMES];

export function checkDumpNames(names: readonly string[] | undefined): void {
  for (const n of names ?? [])
    if (!DUMP_NAMES.includes(n)) fail('EF0006', `--dump-after takes a pipeline stage or a float pass, got '${n}'`, { notes: [`stages: ${STAGES.join(', ')}`, `float passes: ${PASS_NAMES.join(', ')}`] });
}

export class Trace {
  readonly timings: StageTiming[] = [];
  readonly dumps: StageDump[] = [];
  private readonly dumpAfter: readonly string[];

  constructor(opts: { dumpAfter?: readonly string[]; onStage?: (stage: string) => void } = {}) {
    checkDumpNames(opts.dumpAfter);
    this.dumpAfter = opts.dumpAfter ?? [];
    this.onStage = opts.onStage;
  }

  readonly onStage?: (stage: string) => void;

  wants(stage: string): boolean {
    return this.dumpAfter.includes(stage);
  }

  /** Float pass names whose graphs to keep (for tracePasses). */
  passDumps(): string[] {
    return this.dumpAfter.filter((n) => PASS_NAMES.includes(n));
  }

  /** Run a stage: progress callback, wall time, and the graph it returns dumped when asked for. */
  run<T>(stage: StageName, fn: () => T, graphOf?: (r: T) => Graph | undefined): T {
    this.onStage?.(stage);
    const t0 = performance.now();
    const r = fn();
    this.done(stage, t0, graphOf?.(r));
    return r;
  }

  async runAsync<T>(stage: StageName, fn: () => Promise<T>, graphOf?: (r: T) => Graph | undefined): Promise<T> {
    this.onStage?.(stage);
    const t0 = performance.now();
    const r = await fn();
    this.done(stage, t0, graphOf?.(r));
    return r;
  }

  /** The float passes' own trace, recorded under `passes` (the caller timed the stage). */
  passSteps(steps: PassStep[]): void {
    const t = this.timings.find((x) => x.stage === 'passes');
    if (t) t.passes = steps.map(({ name, ms, nodesBefore, nodesAfter }) => ({ name, ms, nodesBefore, nodesAfter }));
    for (const s of steps) if (s.graph && this.wants(s.name)) this.dumps.push({ stage: s.name, graph: s.graph });
  }

  /** Record a stage that another stage computed (the memory plan inside emit). */
  record(stage: StageName, dump?: () => Omit<StageDump, 'stage'>): void {
    this.timings.push({ stage, ms: 0 });
    if (dump && this.wants(stage)) this.dumps.push({ stage, ...dump() });
  }

  dump(stage: string, d: Omit<StageDump, 'stage'>): void {
    if (this.wants(stage)) this.dumps.push({ stage, ...d });
  }

  private done(stage: StageName, t0: number, g: Graph | undefined): void {
    this.timings.push({ stage, ms: performance.now() - t0, nodes: g?.nodes.length });
    if (g && this.wants(stage)) this.dumps.push({ stage, graph: g });
  }
}
