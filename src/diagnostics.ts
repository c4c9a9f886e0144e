// Diagnostics are data: a stable code from one catalogue, a severity, a message that names the file and the
// node or layer, notes and a suggestion. The library collects and returns them; only the CLI renders them.

export type Severity = 'error' | 'warning' | 'info';

export interface Diagnostic {
  code: DiagCode;
  severity: Severity;
  message: string;
  file?: string;
  node?: string;
  notes: string[];
  suggestion?: string;
}

/**
 * The catalogue. Codes are stable: never renumber, only add. EF0xxx general / input files, EF1xxx IR and
 * shapes, EF2xxx import, EF3xxx quantization and simulation, EF4xxx code generation and fit, EF5xxx data
 * and training, EF9xxx internal.
 */
export const CATALOGUE = {
  EF0001: 'file not found or unreadable',
  EF0002: 'unrecognised model format',
  EF0003: 'unrecognised data file format',
  EF0004: 'malformed array file (.npy/.npz/.pb tensor)',
  EF0005: 'output location already holds files that espforge did not write (use --force)',
  EF0006: 'bad command-line value',
  EF0007: 'unsafe output location (an input, not a folder, outside --out, or the working folder with --force)',
  EF1001: 'graph is not in topological order',
  EF1002: 'tensor has no shape or dtype',
  EF1003: 'tensor produced more than once',
  EF1004: 'shape mismatch',
  EF1005: 'dtype mismatch',
  EF1006: 'bad attribute value',
  EF1007: 'tensor too large',
  EF1008: 'dynamic shape where a static one is needed',
  EF1009: 'missing input',
  EF1010: 'quantization record has the wrong rank',
  EF1011: 'input data is neither raw quantized values nor real values as asked (--input-kind)',
  EF1013: 'data layout is ambiguous (channels-first and channels-last both fit the shape)',
  EF2001: 'malformed model file',
  EF2002: 'unsupported operator',
  EF2003: 'unsupported attribute or attribute value',
  EF2004: 'model stores weights in external data files',
  EF2005: 'weight must be a constant',
  EF2006: 'unsupported tensor data type',
  EF2007: 'unsupported opset / schema version',
  EF2008: 'unsupported layer',
  EF2009: 'Lambda layer holds Python code that cannot run here',
  EF2010: 'weights missing or inconsistent with the architecture',
  EF2011: 'unsafe archive entry',
  EF2012: 'invalid quantization parameters or weights in the model (scale, zero point, NaN)',
  EF2013: 'model parser exceeded its time or memory budget',
  EF2014: 'importer note: part of the model was read differently from how it is stored',
  EF3001: 'quantization parameters missing',
  EF3002: 'operator has no integer kernel',
  EF3003: 'calibration data does not match the model input',
  EF3004: 'quantized scale out of range',
  EF3005: 'a quantized layer carries almost no signal (SQNR about 0 dB)',
  EF4001: 'model does not fit the target',
  EF4002: 'C compiler not available',
  EF4003: 'generated C failed to compile',
  EF4004: 'generated C output differs from the simulator',
  EF4005: 'symbol name clash',
  EF4006: 'unknown target chip',
  EF4007: 'layer weights exceed the flash data cache (speed warning)',
  EF4013: 'serial log lacks the app\'s sample lines (or the device disagrees with the host)',
  EF5001: 'dataset not found or empty',
  EF5002: 'dataset shape does not match the model',
  EF5003: 'bad model spec',
  EF9001: 'internal error',
} as const;

export type DiagCode = keyof typeof CATALOGUE;

export interface DiagInit {
  file?: string;
  node?: string;
  notes?: string[];
  suggestion?: string;
  severity?: Severity;
}

export function diag(code: DiagCode, message: string, init: DiagInit = {}): Diagnostic {
  return {
    code,
    severity: init.severity ?? 'error',
    message,
    file: init.file,
    node: init.node,
    notes: init.notes ?? [],
    suggestion: init.suggestion,
  };
}

/**
 * Thrown inside the library where unwinding is simplest; caught at the API boundary and turned into a
 * result. Never escapes to the user as a stack trace.
 */
export class EspforgeError extends Error {
  readonly diagnostics: Diagnostic[];
  constructor(diags: Diagnostic | Diagnostic[]) {
    const list = Array.isArray(diags) ? diags : [diags];
    super(list.map((d) => `${d.code}: ${d.message}`).join('\n'));
    this.diagnostics = list;
  }
}

/** Throw a single coded error. */
export function fail(code: DiagCode, message: string, init: DiagInit = {}): never {
  throw new EspforgeError(diag(code, message, init));
}

export type Result<T> =
  | { ok: true; value: T; diagnostics: Diagnostic[] }
  | { ok: false; diagnostics: Diagnostic[] };

/** Run `f`, turning EspforgeError into a failed result and any other exception into EF9001 (internal). */
export function attempt<T>(f: () => T, ctx: { file?: string } = {}): Result<T> {
  try {
    return { ok: true, value: f(), diagnostics: [] };
  } catch (e) {
    return { ok: false, diagnostics: toDiagnostics(e, ctx) };
  }
}

export async function attemptAsync<T>(f: () => Promise<T>, ctx: { file?: string } = {}): Promise<Result<T>> {
  try {
    return { ok: true, value: await f(), diagnostics: [] };
  } catch (e) {
    return { ok: false, diagnostics: toDiagnostics(e, ctx) };
  }
}

const FS_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EISDIR: 'is a directory, a file was expected',
  ENOTDIR: 'a path component is not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EEXIST: 'already exists',
  ENAMETOOLONG: 'path too long',
  EMFILE: 'too many open files',
};

export function toDiagnostics(e: unknown, ctx: { file?: string } = {}): Diagnostic[] {
  if (e instanceof EspforgeError) {
    return e.diagnostics.map((d) => (d.file || !ctx.file ? d : { ...d, file: ctx.file }));
  }
  // File-system failures (missing file, a directory where a file was expected, no permission, full disk) are
  // the user's situation, not a bug: name the path and what went wrong, without a stack.
  const sys = e as { code?: unknown; path?: unknown; syscall?: unknown; message?: unknown };
  if (e instanceof Error && typeof sys.code === 'string' && FS_ERRORS[sys.code]) {
    const path = typeof sys.path === 'string' ? sys.path : ctx.file;
    return [
      diag('EF0001', `${FS_ERRORS[sys.code]}${typeof sys.syscall === 'string' ? ` (${sys.syscall})` : ''}`, {
        file: path,
        suggestion: 'check the path and its permissions',
      }),
    ];
  }
  if (e instanceof RangeError && /Array buffer allocation|Invalid typed array length|Invalid array length/.test(e.message)) {
    return [diag('EF1007', `a tensor is too large to allocate (${e.message})`, { file: ctx.file })];
  }
  const msg = e instanceof Error ? e.message : String(e);
  return [
    diag('EF9001', `internal error: ${msg}`, {
      file: ctx.file,
      notes: e instanceof Error && e.stack ? [e.stack.split('\n').slice(0, 4).join('\n')] : [],
      suggestion: 'this is a bug in espforge; please report it with the model file',
    }),
  ];
}

/** Render one diagnostic as text (used by the CLI). */
export function renderDiagnostic(d: Diagnostic): string {
  const where = [d.file, d.node ? `node '${d.node}'` : undefined].filter(Boolean).join(': ');
  let s = `${d.severity} ${d.code}: ${where ? where + ': ' : ''}${d.message}`;
  for (const n of d.notes) s += `\n  note: ${n}`;
  if (d.suggestion) s += `\n  help: ${d.suggestion}`;
  return s;
}

/** Levenshtein distance based suggestion: "did you mean X?" */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  const w = word.toLowerCase();
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0];
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j];
      dp[j] = Math.min(dp[j] + 1, dp[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length];
}
