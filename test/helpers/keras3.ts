// A Keras 3 `.keras` archive built from a Keras 2 `.h5` file, for tests and fuzz seeds: the same layers
// (config.json), weights moved to the Keras 3 layout layers/<name>/vars/<i> in model.weights.h5.

import { zipSync } from 'fflate';

export async function kerasArchiveFromH5(src: string): Promise<Uint8Array> {
  const h5 = await import('h5wasm/node');
  await h5.ready;
  const f = new h5.File(src, 'r');
  const cfg = JSON.parse(f.attrs['model_config'].value as string);
  const mw = f.get('model_weights') as import('h5wasm/node').Group;
  const tmp = `/keras3-${process.pid}-${src.replace(/\W/g, '_')}.h5`;
  const out = new h5.File(tmp, 'w');
  const layers = out.create_group('layers');
  for (const l of cfg.config.layers) {
    const name = l.config.name as string;
    const grp = mw.get(name) as import('h5wasm/node').Group | null;
    const names = grp ? ((grp.attrs['weight_names']?.value ?? []) as string[]) : [];
    if (names.length === 0) continue;
    const vars = layers.create_group(name).create_group('vars');
    names.forEach((n, i) => {
      const d = grp!.get(n) as import('h5wasm/node').Dataset;
      vars.create_dataset({ name: String(i), data: d.value as Float32Array, shape: d.shape! });
    });
  }
  out.close();
  const wbytes = h5.FS!.readFile(tmp) as Uint8Array;
  h5.FS!.unlink(tmp);
  f.close();
  return zipSync({
    'config.json': new TextEncoder().encode(JSON.stringify(cfg)),
    'metadata.json': new TextEncoder().encode(JSON.stringify({ keras_version: '3.3.3' })),
    'model.weights.h5': wbytes,
  });
}
