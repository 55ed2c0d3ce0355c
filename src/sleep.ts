/** Block this thread for `ms` milliseconds (a retry's back-off where the code is synchronous). */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
