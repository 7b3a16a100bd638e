import evaluateBatch from '../../bidder/workers/bid.worker.ts';
import type { BatchTask, WorkerResult } from '../../bidder/workers/worker-protocol.ts';

/**
 * The real scoring worker, plus faults on demand for the pool's failure tests: a body containing
 * FAULT_THROW throws, FAULT_CRASH ends the thread, FAULT_HANG never returns.
 */
export default function faultyBatch(task: BatchTask): Promise<WorkerResult[]> {
  const text = Buffer.from(task.bytes.buffer, task.bytes.byteOffset, task.bytes.byteLength).toString('utf8');
  if (text.includes('FAULT_THROW')) throw new Error('injected worker fault');
  if (text.includes('FAULT_CRASH')) process.exit(3);
  if (text.includes('FAULT_HANG')) for (;;) {}
  return evaluateBatch(task);
}
