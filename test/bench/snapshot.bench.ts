/**
 * Child-process benchmarks of the snapshot reader and writer, so each gets its own peak RSS:
 *   node snapshot.bench.js write FILE COINS   — times SnapshotWriter over pre-generated records
 *   node snapshot.bench.js verify FILE [one-parser|inline|muhash] — times verifySnapshot (read + parse + hash_serialized_3;
 *     inline: SHA-256 on the main thread, the A/B baseline; muhash: also MuHash)
 *   node snapshot.bench.js limits FILE        — the machine's sequential read and SHA-256 of the coin stream
 * Each prints one JSON line.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { getChainParams } from '../../src/consensus/params.js';
import { sha256 } from '../../src/primitives/hash.js';
import { SnapshotReader } from '../../src/snapshot/reader.js';
import { verifySnapshot } from '../../src/snapshot/verify.js';
import { SnapshotWriter } from '../../src/snapshot/writer.js';
import { syntheticRecords } from './synthetic-utxo.js';

const rssMB = () => process.resourceUsage().maxRSS / 1024;

async function write(file: string, coins: number) {
  const batches: Buffer[] = [];
  syntheticRecords(coins, (b, n) => void batches.push(Buffer.from(b.subarray(0, n))));
  const rssBefore = rssMB();
  const t = performance.now();
  const w = new SnapshotWriter(file, { messageStart: getChainParams('regtest').messageStart, baseHash: sha256(Uint8Array.of(7)) });
  for (const b of batches) w.addRecords(b, b.length);
  const written = w.commit();
  const seconds = (performance.now() - t) / 1000;
  return { coins: written, seconds, coinsPerSec: written / seconds, bytes: statSync(file).size, inputRecordsMB: batches.reduce((a, b) => a + b.length, 0) / 1e6, peakRssMB: rssMB(), rssBeforeMB: rssBefore };
}

/** CPU seconds of this process's main thread alone (Linux: /proc), to split CPU time between the threads. */
function mainThreadCpuSeconds(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
  } catch {
    return undefined;
  }
}

/**
 * `mode`: '' (hash on a worker, which also decodes ranges), 'one-parser' (the worker only hashes), 'inline'
 * (hash in-process, the A/B baseline) or 'muhash'.
 */
async function verify(file: string, mode: string) {
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadCpuSeconds();
  const t = performance.now();
  const muhash = mode === 'muhash';
  const r = await verifySnapshot(file, { network: 'regtest', muhash, muhashThreads: muhash ? 2 : undefined, hashThread: mode !== 'inline', splitParse: mode !== 'one-parser' });
  const seconds = (performance.now() - t) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const main1 = mainThreadCpuSeconds();
  const bytes = statSync(file).size;
  return {
    coins: r.coins,
    seconds,
    coinsPerSec: r.coins / seconds,
    mbPerSec: bytes / 1e6 / seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    mainThreadCpuSeconds: main0 === undefined || main1 === undefined ? undefined : main1 - main0,
    bytes,
    hash: r.hashSerialized3,
    muhash: r.muhash,
    peakRssMB: rssMB(),
  };
}

async function limits(file: string) {
  const bytes = statSync(file).size;
  const buf = Buffer.allocUnsafe(4 << 20);
  let t = performance.now();
  const fd = openSync(file, 'r');
  for (let pos = 0; ; ) {
    const n = readSync(fd, buf, 0, buf.length, pos);
    if (n === 0) break;
    pos += n;
  }
  closeSync(fd);
  const readSec = (performance.now() - t) / 1000;
  // The exact byte stream verify hashes: the records the reader produces, held in memory first.
  const reader = SnapshotReader.open(file);
  const batches: Buffer[] = [];
  const coins = await reader.readCoins((b, n) => void batches.push(Buffer.from(b.subarray(0, n))));
  reader.close();
  const streamBytes = batches.reduce((a, b) => a + b.length, 0);
  t = performance.now();
  const h = createHash('sha256');
  for (const b of batches) h.update(b);
  h.digest();
  const shaSec = (performance.now() - t) / 1000;
  return { fileBytes: bytes, readMBPerSec: bytes / 1e6 / readSec, streamBytes, shaMBPerSec: streamBytes / 1e6 / shaSec, shaCoinsPerSec: coins / shaSec };
}

const [mode, file, arg] = process.argv.slice(2);
const result = mode === 'write' ? await write(file, Number(arg)) : mode === 'verify' ? await verify(file, arg ?? '') : mode === 'limits' ? await limits(file) : undefined;
if (!result) {
  process.stderr.write('usage: snapshot.bench.js write FILE COINS | verify FILE [one-parser|inline|muhash] | limits FILE\n');
  process.exit(2);
}
process.stdout.write(`${JSON.stringify(result)}\n`);
