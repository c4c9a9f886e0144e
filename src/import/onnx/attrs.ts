// Typed access to an ONNX node's attributes, with the check that every attribute present is one the converter
// knows (anything else is EF2003, never silently ignored).

import { fail } from '../../diagnostics.js';
import type { Value } from '../../ops/types.js';
import { num, type AttributeProto, type NodeProto } from './proto.js';
import { tensorFromProto } from './tensor.js';

export class NodeAttrs {
  private m = new Map<string, AttributeProto>();
  constructor(
    readonly node: NodeProto,
    readonly nodeName: string,
    readonly file: string,
  ) {
    for (const a of node.attribute ?? []) this.m.set(a.name ?? '', a);
  }

  private bad(name: string, why: string): never {
    return fail('EF2003', `${this.node.opType} attribute '${name}' ${why}`, { file: this.file, node: this.nodeName });
  }

  /** Fail with EF2003 on the first attribute not in `known`. */
  check(known: readonly string[]): void {
    for (const k of this.m.keys()) {
      if (!known.includes(k))
        fail('EF2003', `${this.node.opType} attribute '${k}' is not supported`, {
          file: this.file,
          node: this.nodeName,
          notes: [`supported attributes of ${this.node.opType}: ${known.length ? known.join(', ') : '(none)'}`],
        });
      const a = this.m.get(k)!;
      if (a.refAttrName) this.bad(k, 'refers to a function attribute, which espforge does not expand');
    }
  }

  has(name: string): boolean {
    return this.m.has(name);
  }

  int(name: string, dflt: number): number;
  int(name: string): number | undefined;
  int(name: string, dflt?: number): number | undefined {
    const a = this.m.get(name);
    if (!a) return dflt;
    const v = num(a.i);
    if (!Number.isSafeInteger(v)) this.bad(name, `has an out-of-range value ${v}`);
    return v;
  }

  float(name: string, dflt: number): number;
  float(name: string): number | undefined;
  float(name: string, dflt?: number): number | undefined {
    const a = this.m.get(name);
    if (!a) return dflt;
    return Math.fround(a.f ?? 0);
  }

  ints(name: string, dflt: number[]): number[];
  ints(name: string): number[] | undefined;
  ints(name: string, dflt?: number[]): number[] | undefined {
    const a = this.m.get(name);
    if (!a) return dflt;
    const v = (a.ints ?? []).map(num);
    if (v.length > 1 << 16) this.bad(name, `has ${v.length} entries`);
    for (const x of v) if (!Number.isFinite(x)) this.bad(name, `has a non-finite entry`);
    return v;
  }

  floats(name: string): number[] | undefined {
    const a = this.m.get(name);
    if (!a) return undefined;
    return (a.floats ?? []).map((x) => Math.fround(x));
  }

  str(name: string, dflt: string): string;
  str(name: string): string | undefined;
  str(name: string, dflt?: string): string | undefined {
    const a = this.m.get(name);
    if (!a) return dflt;
    return new TextDecoder().decode(a.s ?? new Uint8Array());
  }

  tensor(name: string): Value | undefined {
    const a = this.m.get(name);
    if (!a) return undefined;
    if (!a.t) this.bad(name, 'has no tensor value');
    return tensorFromProto(a.t!, `attribute '${name}' of node '${this.nodeName}'`, this.file);
  }
}
