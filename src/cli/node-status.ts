/**
 * `chainsnap status`: a few readable lines from getblockchaininfo, getchainstates and getprogress.
 */
import type { OperationView } from './node-progress.js';

interface ChainstateView {
  blocks: number;
  bestblockhash: string;
  verificationprogress?: number;
  snapshot_blockhash?: string;
  validated: boolean;
}

export function formatStatus(r: Record<string, unknown>): string {
  const info = (r.getblockchaininfo ?? {}) as { chain?: string; blocks?: number; headers?: number; bestblockhash?: string; initialblockdownload?: boolean };
  const states = ((r.getchainstates ?? {}) as { chainstates?: ChainstateView[] }).chainstates ?? [];
  const ops = ((r.getprogress ?? {}) as { operations?: OperationView[] }).operations ?? [];
  const lines = [
    `chain: ${info.chain}  blocks: ${info.blocks}  headers: ${info.headers}${info.initialblockdownload ? '  (initial block download)' : ''}`,
    `best block: ${info.bestblockhash}`,
    'chainstates:',
  ];
  states.forEach((cs, i) => {
    const role = states.length === 2 ? (i === 0 ? 'background' : 'snapshot') : cs.snapshot_blockhash ? 'snapshot' : 'normal';
    const progress = cs.verificationprogress !== undefined ? `  progress ${(cs.verificationprogress * 100).toFixed(2)}%` : '';
    const base = cs.snapshot_blockhash ? `  base ${cs.snapshot_blockhash}` : '';
    lines.push(`  ${role.padEnd(10)} height ${cs.blocks}${progress}  ${cs.validated ? 'validated' : 'not validated yet'}${base}`);
  });
  if (ops.length) lines.push('operations:');
  for (const op of ops) {
    const pct = op.total > 0 ? ` (${((100 * op.done) / op.total).toFixed(1)}%)` : '';
    const err = op.error ? `: ${op.error.message}` : '';
    lines.push(`  #${op.id} ${op.kind} ${op.target}: ${op.state}, ${op.done.toLocaleString('en-US')} of ${op.total.toLocaleString('en-US')} ${op.unit}${pct}${err}`);
  }
  return lines.join('\n') + '\n';
}
