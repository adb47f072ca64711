/**
 * The script-checks benchmark's control: a thread that checks the same block inline (no queue) whenever the
 * main thread asks, so that the bench can time two independent threads doing the same work at once. Their
 * speed against one thread alone is what this machine's two cores can give at that moment (its ceiling for
 * the check queue's second thread), whatever the queue does.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CheckQueue } from '../../src/chain/check-queue.js';
import { checkBlock, loadBlock, WARM_UP_BLOCKS } from './script-check-block.js';

const b = loadBlock((workerData as { height: number }).height);
if (!b) throw new Error('inline twin: the block is not in the vectors');
const queue = new CheckQueue({ workers: 0 });
for (let w = 0; w < WARM_UP_BLOCKS; w++) await checkBlock(queue, b);
// Its only message: check the block once more (the bench ends it with terminate()).
parentPort!.on('message', () => void checkBlock(queue, b).then(() => parentPort!.postMessage('checked')));
parentPort!.postMessage('ready');
