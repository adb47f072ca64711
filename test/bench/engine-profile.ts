/**
 * Summarizes a V8 .cpuprofile (node --cpu-prof) by self time per function and per file:
 *   node engine-profile.js FILE.cpuprofile [TOP]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export function summarize(file: string, top = 25): string {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  prof.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fn = new Map<string, number>();
  const files = new Map<string, number>();
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const f = url ? path.basename(url) : '';
    const key = `${functionName || '(anonymous)'} ${f ? `${f}:${lineNumber + 1}` : ''}`.trim();
    fn.set(key, (fn.get(key) ?? 0) + us);
    const fk = f || functionName || '(native)';
    files.set(fk, (files.get(fk) ?? 0) + us);
  }
  const lines = [`total ${(total / 1e6).toFixed(2)} s sampled`, 'self time by function:'];
  for (const [k, us] of [...fn].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1e6).toFixed(2).padStart(6)} s  ${k}`);
  lines.push('self time by file:');
  for (const [k, us] of [...files].sort((a, b) => b[1] - a[1]).slice(0, 12)) lines.push(`  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1e6).toFixed(2).padStart(6)} s  ${k}`);
  return lines.join('\n');
}

if (process.argv[1]?.endsWith('engine-profile.js')) {
  console.log(summarize(process.argv[2], Number(process.argv[3] ?? 25)));
}
