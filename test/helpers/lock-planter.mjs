// Plays crashed holders: whenever the lock is free, plants a lock owned by a dead process.
import { linkSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';

const [lockPath, deadPid, count] = process.argv.slice(2);
let planted = 0;
for (let i = 0; planted < Number(count) && i < 200_000; i++) {
  const temp = `${lockPath}.planter.tmp`;
  writeFileSync(temp, JSON.stringify({ pid: Number(deadPid), host: hostname(), since: new Date().toISOString(), nonce: `dead${i}` }));
  try {
    linkSync(temp, lockPath);
    planted++;
  } catch {
    /* held right now */
  }
  unlinkSync(temp);
  if (i % 4 === 0) await new Promise((resolve) => setImmediate(resolve));
}
console.log(planted);
