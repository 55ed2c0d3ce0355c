/**
 * Version skew between clones (pure): which schema a state file declares, and whether this
 * agentstate may write it. An older agentstate reads what it understands of newer files, but
 * never writes one (it would downgrade the header or lose what it does not know).
 */

/** `schema: N` of a YAML state file, `"schema": N` of runtime.json, from the first bytes of the file. */
export function declaredSchema(head: string, format: 'yaml' | 'json'): number | undefined {
  const match = format === 'json' ? /"schema"\s*:\s*(\d+)/.exec(head) : /^schema:\s*(\d+)\s*(#.*)?$/m.exec(head);
  return match ? Number(match[1]) : undefined;
}

/** Dotted version numbers compared part by part (0.10.0 > 0.9.1); a pre-release suffix is ignored. */
export function compareVersions(a: string, b: string): number {
  const parts = (version: string) => version.replace(/^v/, '').split(/[-+]/)[0]!.split('.').map((part) => Number(part) || 0);
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const diff = (x[i] ?? 0) - (y[i] ?? 0);
    if (diff !== 0) return Math.sign(diff);
  }
  return 0;
}

export const isVersion = (value: unknown): value is string => typeof value === 'string' && /^v?\d+(\.\d+){0,2}([-+][0-9A-Za-z.-]+)?$/.test(value);
