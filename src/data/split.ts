// `espforge split`: divide an image-folder dataset (one sub-folder per class) into train/val/test folders,
// stratified per class and reproducible from a seed. Writes into a temporary sibling folder and renames it into
// place, so the output is complete or absent.

import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fail } from '../diagnostics.js';
import { listClassFolders } from './images.js';
import { makeRng, shuffleInPlace } from './rng.js';

export interface SplitOptions {
  /** Fractions for train, [val,] test; normalised to sum 1. Default [0.8, 0.1, 0.1]. */
  ratios?: number[];
  seed?: number;
  /** Symlink instead of copying. */
  link?: boolean;
  /** Replace an existing non-empty output folder. */
  force?: boolean;
}

export interface SplitReport {
  parts: string[];
  classes: string[];
  /** counts[part][class] */
  counts: number[][];
  out: string;
}

/** Deterministic assignment of files to parts (no I/O besides listing). */
export function planSplit(dir: string, opts: SplitOptions = {}): { parts: string[]; classes: string[]; assign: string[][][] } {
  const ratios = opts.ratios ?? [0.8, 0.1, 0.1];
  if (ratios.length < 2 || ratios.length > 3 || ratios.some((r) => !(r >= 0)) || ratios.reduce((a, b) => a + b, 0) <= 0)
    fail('EF0006', `--ratios needs 2 or 3 non-negative numbers, got ${ratios.join(',')}`);
  const sum = ratios.reduce((a, b) => a + b, 0);
  const fr = ratios.map((r) => r / sum);
  const parts = fr.length === 3 ? ['train', 'val', 'test'] : ['train', 'test'];
  if (!existsSync(dir)) fail('EF5001', 'dataset folder not found', { file: dir });
  const { classes, files } = listClassFolders(dir);
  if (!classes.length || files.every((f) => f.length === 0))
    fail('EF5001', 'no class sub-folders with images', { file: dir, suggestion: 'put images in DIR/<class>/*.jpg|png' });
  const rng = makeRng(opts.seed ?? 0);
  const assign: string[][][] = parts.map(() => classes.map(() => []));
  files.forEach((list, ci) => {
    const l = shuffleInPlace(list.slice(), rng) as string[];
    let at = 0;
    fr.forEach((f, p) => {
      const k = p === fr.length - 1 ? l.length - at : Math.min(l.length - at, Math.round(f * l.length));
      assign[p][ci] = l.slice(at, at + k).sort();
      at += k;
    });
  });
  return { parts, classes, assign };
}

export function splitImageFolder(dir: string, out: string, opts: SplitOptions = {}): SplitReport {
  const plan = planSplit(dir, opts);
  const dst = resolve(out);
  if (resolve(dir) === dst || dst.startsWith(resolve(dir) + '/'))
    fail('EF0006', 'the output folder must not be inside the dataset folder', { file: out });
  if (existsSync(dst) && readdirSync(dst).length > 0 && !opts.force)
    fail('EF0005', 'output folder is not empty', { file: out, suggestion: 'choose another --out or pass --force' });
  const tmp = join(dirname(dst), `.${basename(dst)}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  try {
    plan.parts.forEach((p, pi) =>
      plan.classes.forEach((c, ci) => {
        const d = join(tmp, p, c);
        mkdirSync(d, { recursive: true });
        for (const f of plan.assign[pi][ci]) {
          const t = join(d, basename(f));
          if (opts.link) symlinkSync(resolve(f), t);
          else copyFileSync(f, t);
        }
      }),
    );
    if (existsSync(dst)) rmSync(dst, { recursive: true, force: true });
    mkdirSync(dirname(dst), { recursive: true });
    renameSync(tmp, dst);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return { parts: plan.parts, classes: plan.classes, counts: plan.assign.map((pc) => pc.map((l) => l.length)), out: dst };
}
