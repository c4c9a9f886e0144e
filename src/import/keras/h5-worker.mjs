// Worker thread for reading an HDF5 file with h5wasm (plain JavaScript so that it starts without a TypeScript
// loader). h5wasm runs the HDF5 C library synchronously; a damaged file can make it loop for minutes, so the
// importer runs this in a worker it can terminate (src/import/keras/h5.ts). The worker walks the tree one link
// at a time (never a multi-part path, which could traverse an external link), refuses external links, reads
// datasets under element and byte budgets, and posts back a plain-data snapshot:
//   group:    { kind: 'group', attrs: {name: value}, children: {name: node} }
//   dataset:  { kind: 'dataset', shape, value (typed array or undefined), dtype, attrs }
//   other:    { kind: 'other', what }
import { parentPort } from 'node:worker_threads';
import fs from 'node:fs';

let skip, maxElements, maxBytes, maxNodes, maxDepth;
let captured = [];
// HDF5 prints its error stack straight to file descriptor 2; keep it for the diagnostic instead.
const realWriteSync = fs.writeSync;
fs.writeSync = (fd, buf, ...rest) => {
  if (fd === 2) {
    if (typeof buf === 'string') {
      if (captured.length < 64) captured.push(buf.slice(0, 4096));
      return buf.length;
    }
    const off = typeof rest[0] === 'number' ? rest[0] : 0;
    const len = typeof rest[1] === 'number' ? rest[1] : buf.length - off;
    if (captured.length < 64) captured.push(Buffer.from(buf.buffer, buf.byteOffset + off, Math.min(len, 4096)).toString());
    return len;
  }
  return realWriteSync(fd, buf, ...rest);
};

class Refused extends Error {}

let nodes = 0;
let bytes = 0;

function plainAttr(v) {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return v;
  if (ArrayBuffer.isView(v)) return v.length <= 1 << 20 ? v : undefined;
  if (Array.isArray(v)) return v.length <= 1 << 16 ? v.map(plainAttr) : undefined;
  return undefined;
}

function attrsOf(obj) {
  const out = {};
  let names = [];
  try {
    names = Object.keys(obj.attrs ?? {});
  } catch {
    return out;
  }
  for (const k of names.slice(0, 4096)) {
    try {
      out[k] = plainAttr(obj.attrs[k].value);
    } catch {
      out[k] = undefined;
    }
  }
  return out;
}

function walk(m, group, depth, where) {
  if (depth > maxDepth) throw new Refused(`HDF5 groups nest deeper than ${maxDepth} levels at ${where}`);
  const node = { kind: 'group', attrs: attrsOf(group), children: {} };
  for (const name of group.keys()) {
    if (++nodes > maxNodes) throw new Refused(`HDF5 file holds more than ${maxNodes} objects`);
    if (depth === 0 && skip.includes(name)) continue;
    const child = group.get(name);
    const here = `${where === '/' ? '' : where}/${name}`;
    if (child instanceof m.ExternalLink)
      throw new Refused(`HDF5 external link '${here}' points to file '${child.filename}'; espforge does not follow external links`);
    if (child instanceof m.Group) node.children[name] = walk(m, child, depth + 1, here);
    else if (child instanceof m.Dataset) {
      const shape = (child.shape ?? []).map(Number);
      const n = shape.reduce((a, b) => a * b, 1);
      const size = Number(child.metadata?.size ?? 8);
      if (!Number.isFinite(n) || n > maxElements) throw new Refused(`HDF5 dataset '${here}' declares ${n} elements, more than ${maxElements}`);
      bytes += n * size;
      if (bytes > maxBytes) throw new Refused(`HDF5 datasets hold more than ${maxBytes} bytes in total`);
      const v = child.value;
      const value = ArrayBuffer.isView(v) ? v : undefined;
      node.children[name] = { kind: 'dataset', shape, value, dtype: String(child.dtype ?? ''), attrs: attrsOf(child) };
    } else node.children[name] = { kind: 'other', what: child === null ? 'missing' : String(child?.type ?? typeof child) };
  }
  return node;
}

const m = await import('h5wasm/node');
await m.ready;

// One request at a time: { id, path, skip, limits } → { id, tree } or { id, error, message, captured }. The worker
// stays loaded between requests (the WASM module is compiled once); the importer terminates it on a timeout.
parentPort.on('message', (req) => {
  ({ skip, maxElements, maxBytes, maxNodes, maxDepth } = req);
  captured = [];
  nodes = 0;
  bytes = 0;
  let f;
  try {
    f = new m.File(req.path, 'r');
  } catch (e) {
    parentPort.postMessage({ id: req.id, error: 'open', message: String(e?.message ?? e), captured: captured.join('') });
    return;
  }
  try {
    const tree = walk(m, f, 0, '/');
    parentPort.postMessage({ id: req.id, tree });
  } catch (e) {
    parentPort.postMessage({ id: req.id, error: e instanceof Refused ? 'refused' : 'read', message: String(e?.message ?? e), captured: captured.join('') });
  } finally {
    try {
      f.close();
    } catch {
      /* already closed */
    }
  }
});
parentPort.postMessage({ ready: true });
