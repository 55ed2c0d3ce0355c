import { spawn, type ChildProcess } from 'node:child_process';
import { BIN, baseEnv } from './cli.js';

export interface Served {
  url: string;
  base: string;
  port: number;
  token: string;
  child: ChildProcess;
  /** SIGTERM, then the exit code (the server stops cleanly). */
  stop(): Promise<number | null>;
}

/** Start `agentstate serve` as a real process and read the URL it prints. */
export function startServe(dir: string, args: string[] = [], env: Record<string, string | undefined> = {}): Promise<Served> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args, '--json'], { cwd: dir, env: baseEnv(env) });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 20_000);
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      let started: { url: string; port: number; token: string };
      try {
        started = JSON.parse(stdout) as typeof started;
      } catch {
        return;
      }
      clearTimeout(timer);
      resolve({
        ...started,
        base: `http://127.0.0.1:${started.port}`,
        child,
        stop: () => {
          child.kill('SIGTERM');
          return exited;
        },
      });
    });
  });
}
