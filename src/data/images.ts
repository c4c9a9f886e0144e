// Image-folder datasets: DIR/<class>/*.{jpg,jpeg,png,webp,bmp,gif}, or DIR/{train,val,test}/<class>/... as
// written by `espforge split`. Images are decoded and resized (stretched) to the model input with sharp.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fail } from '../diagnostics.js';
import type { LoadOptions, RawSet } from './index.js';

export const IMAGE_EXTS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.bmp']);

const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();

export function isImageFile(name: string): boolean {
  return IMAGE_EXTS.has(extname(name).toLowerCase());
}

/** Class folders (sorted) and their image files (sorted) under `dir`. */
export function listClassFolders(dir: string): { classes: string[]; files: string[][] } {
  const classes = readdirSync(dir)
    .filter((e) => !e.startsWith('.') && isDir(join(dir, e)))
    .sort();
  const files = classes.map((c) =>
    readdirSync(join(dir, c))
      .filter((f) => !f.startsWith('.') && isImageFile(f))
      .sort()
      .map((f) => join(dir, c, f)),
  );
  return { classes, files };
}

async function decode(file: string, h: number, w: number, c: 1 | 3): Promise<Uint8Array> {
  const sharp = (await import('sharp')).default;
  let out: { data: Buffer; info: { channels: number; width: number; height: number } };
  try {
    let p = sharp(file, { failOn: 'error' }).resize(w, h, { fit: 'fill' });
    p = c === 1 ? p.grayscale() : p.removeAlpha();
    out = await p.raw().toBuffer({ resolveWithObject: true });
  } catch (e) {
    return fail('EF0003', `cannot decode image: ${(e as Error).message}`, { file });
  }
  const { data, info } = out;
  const px = w * h;
  if (info.channels === c) return new Uint8Array(data.buffer, data.byteOffset, px * c);
  const r = new Uint8Array(px * c);
  for (let i = 0; i < px; i++) {
    const s = i * info.channels;
    if (c === 3) {
      const g = info.channels < 3;
      r[i * 3] = data[s];
      r[i * 3 + 1] = data[g ? s : s + 1];
      r[i * 3 + 2] = data[g ? s : s + 2];
    } else r[i] = Math.round(0.299 * data[s] + 0.587 * data[s + 1] + 0.114 * data[s + 2]);
  }
  return r;
}

export async function loadImageDir(dir: string, opts: LoadOptions): Promise<RawSet> {
  const sub = (n: string) => join(dir, n);
  const preSplit = isDir(sub('train')) && (isDir(sub('test')) || isDir(sub('val')));
  let groups: { name: 'train' | 'test' | 'val'; list: ReturnType<typeof listClassFolders> }[];
  if (preSplit) {
    groups = (['train', 'val', 'test'] as const).filter((n) => isDir(sub(n))).map((name) => ({ name, list: listClassFolders(sub(name)) }));
  } else groups = [{ name: 'train', list: listClassFolders(dir) }];
  const classes = [...new Set(groups.flatMap((g) => g.list.classes))].sort();
  const total = groups.reduce((a, g) => a + g.list.files.reduce((b, f) => b + f.length, 0), 0);
  if (classes.length === 0 || total === 0)
    fail('EF5001', 'no images found', {
      file: dir,
      suggestion: 'an image dataset is a folder with one sub-folder per class holding .jpg/.png files',
    });
  // Size: the model input when given, else the first image's own size.
  let h: number;
  let w: number;
  const want = opts.inputShape;
  const c: 1 | 3 = opts.channels ?? (want && want.length === 3 && want[2] === 1 ? 1 : 3);
  if (want && want.length === 3) [h, w] = want;
  else {
    const first = groups.flatMap((g) => g.list.files.flat())[0];
    const sharp = (await import('sharp')).default;
    try {
      const m = await sharp(first).metadata();
      [h, w] = [m.height ?? 0, m.width ?? 0];
    } catch (e) {
      return fail('EF0003', `cannot decode image: ${(e as Error).message}`, { file: first });
    }
  }
  const per = h * w * c;
  const x = new Float32Array(total * per);
  const y = new Int32Array(total);
  const parts = { train: [] as number[], test: [] as number[], val: [] as number[] };
  const testGroup = groups.some((g) => g.name === 'test') ? 'test' : 'val';
  let k = 0;
  for (const g of groups) {
    for (let ci = 0; ci < g.list.classes.length; ci++) {
      const cls = classes.indexOf(g.list.classes[ci]);
      for (const f of g.list.files[ci]) {
        const px = await decode(f, h, w, c);
        const o = k * per;
        for (let i = 0; i < per; i++) x[o + i] = px[i] / 255;
        y[k] = cls;
        if (g.name === 'train') parts.train.push(k);
        else if (g.name === testGroup) parts.test.push(k);
        if (g.name === 'val') parts.val.push(k);
        k++;
      }
    }
  }
  return {
    x,
    y,
    shape: [h, w, c],
    classes,
    normalization: { scale: 1 / 255, offset: 0 },
    source: dir,
    parts: preSplit ? parts : undefined,
  };
}
