// Takes the state lock with agentstate's own lock code, says so, and holds it until killed.
// The briefing tests stop it with SIGSTOP: a stalled writer that holds the lock for minutes.
import { acquireLock } from '../../dist/store/lock.js';

const [lockPath] = process.argv.slice(2);
await acquireLock(lockPath, { timeoutMs: 10_000, staleMs: 3_600_000, command: 'agentstate log (stalled)' });
process.stdout.write('held\n');
await new Promise(() => setTimeout(() => {}, 1 << 30));
