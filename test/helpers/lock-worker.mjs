// A contender for the state lock: takes it `rounds` times and, while holding it, checks that
// nobody else does (an O_EXCL marker file) and bumps a shared counter non-atomically.
import { closeSync, openSync, readFileSync, unlinkSync, writeFileSync, appendFileSync } from 'node:fs';
import { acquireLock } from '../../dist/store/lock.js';

const [lockPath, markerPath, counterPath, violationsPath, rounds] = process.argv.slice(2);
for (let i = 0; i < Number(rounds); i++) {
  const lock = await acquireLock(lockPath, { timeoutMs: 60_000, staleMs: 30_000, command: 'lock-worker' });
  try {
    let fd;
    try {
      fd = openSync(markerPath, 'wx');
    } catch {
      appendFileSync(violationsPath, `${process.pid} found another holder\n`);
    }
    const count = Number(readFileSync(counterPath, 'utf8'));
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
    writeFileSync(counterPath, String(count + 1));
    if (fd !== undefined) {
      closeSync(fd);
      unlinkSync(markerPath);
    }
  } finally {
    lock.release();
  }
}
