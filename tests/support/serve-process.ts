import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');

/** A running `outbid serve` child process. */
export interface Running {
  child: ChildProcess;
  port: number;
  /** Everything it printed so far (stdout then stderr). */
  stdout: () => string;
  exited: Promise<number | null>;
}

/**
 * Starts `outbid serve` as a user would (`node bin/outbid.js serve`, only the given environment)
 * and waits for its port. `track` collects the child and its data directories so a test's
 * `afterEach` can kill and remove them (`cleanup`).
 */
export class ServeProcesses {
  readonly #children: ChildProcess[] = [];
  readonly #dirs: string[] = [];

  async start(env: Record<string, string>): Promise<Running> {
    const child = spawn(process.execPath, ['bin/outbid.js', 'serve'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#children.push(child);
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setInterval(() => {
        const m = /Server listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
        if (m) {
          clearInterval(timer);
          resolve(Number(m[1]));
        } else if (child.exitCode !== null) {
          clearInterval(timer);
          reject(new Error(`outbid serve exited ${child.exitCode}: ${err}${out}`));
        }
      }, 50);
    });
    return { child, port, stdout: () => out + err, exited };
  }

  /** A fresh DATA_DIR, removed by `cleanup`. */
  dataDir(): string {
    const d = mkdtempSync(join(tmpdir(), 'outbid-serve-'));
    this.#dirs.push(d);
    return d;
  }

  /** Kills the children still running and removes the data directories. */
  cleanup(): void {
    for (const c of this.#children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
    for (const d of this.#dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  }
}
