// The rate client's clock: a worker thread that wakes the main thread every `periodMs` (a
// fraction of a millisecond is fine). Node's own timers have whole-millisecond resolution, which
// would add up to 1 ms of client-side lag to every request at 2,000-5,000 req/s; Atomics.wait
// sleeps with sub-millisecond precision and burns no CPU while it waits.
// Stops when the main thread stores 1 in slot 0 of the shared `stop` array.
import { parentPort, workerData } from 'node:worker_threads';

const { periodMs, stop } = workerData;
const flag = new Int32Array(stop);
const sleeper = new Int32Array(new SharedArrayBuffer(4));
let next = performance.now() + periodMs;
while (Atomics.load(flag, 0) === 0) {
  const wait = next - performance.now();
  if (wait > 0) Atomics.wait(sleeper, 0, 0, wait);
  parentPort.postMessage(0);
  next += periodMs;
  // after a long stall (the main thread or the machine was busy) do not fire a burst of ticks:
  // the main thread sends everything that is due on the next tick anyway
  const now = performance.now();
  if (next < now) next = now + periodMs;
}
