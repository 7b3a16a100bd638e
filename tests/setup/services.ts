import { type ChildProcess, spawn } from 'node:child_process';
import { constants, existsSync } from 'node:fs';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/**
 * Real servers for integration tests (CONVENTIONS: never mocks). Each server is found on PATH or
 * installed from Debian packages when we are root on Debian/Ubuntu (the dev machines and CI are
 * fresh, so the project must install what it needs), then started on a free loopback port in a
 * throw-away directory. A new server (clickhouse-server) needs only its own `startX` on top of
 * `ensureBinary`, `freePort` and `spawnServer`.
 */

const READY_TIMEOUT_MS = 10_000;

async function findOnPath(name: string): Promise<string | undefined> {
  // Debian puts some daemons in sbin, which a non-login PATH may lack.
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

function run(command: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? `exit code ${code}`})`));
    });
  });
}

/** Returns the absolute path of executable `name`, installing `debianPackage` with apt-get when we are root on Debian/Ubuntu. */
export async function ensureBinary(name: string, debianPackage: string): Promise<string> {
  const found = await findOnPath(name);
  if (found !== undefined) return found;
  const canInstall = process.getuid?.() === 0 && existsSync('/etc/debian_version');
  if (!canInstall) {
    throw new Error(
      `${name} is needed by the integration tests but is not on PATH. Install it with: ` +
        `sudo apt-get install -y ${debianPackage}`,
    );
  }
  console.log(
    `[test setup] ${name} not found: installing Debian package ${debianPackage} (apt-get update, apt-get install)`,
  );
  await run('apt-get', ['update']);
  await run('apt-get', ['install', '-y', '--no-install-recommends', debianPackage]);
  const installed = await findOnPath(name);
  if (installed === undefined) {
    throw new Error(`installed Debian package ${debianPackage} but ${name} is still not on PATH`);
  }
  return installed;
}

/** A free TCP port on 127.0.0.1, found by letting the kernel pick one and releasing it. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('could not get a free port'))));
    });
  });
}

/** A server process started by `spawnServer`. */
export interface ServerProcess {
  /** The running child. */
  readonly child: ChildProcess;
  /** Everything the server printed so far (tail), for error messages. */
  output(): string;
  /** Resolves once the process has exited. */
  readonly exited: Promise<void>;
}

const OUTPUT_TAIL_CHARS = 4000;

/** Spawns a long-running server, capturing its output and killing it if this process exits first. */
export function spawnServer(binary: string, args: readonly string[]): ServerProcess {
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const append = (chunk: Buffer) => {
    out = (out + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  // A crashed or interrupted test run must not leave servers behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      process.removeListener('exit', killOnExit);
      resolve();
    });
    child.once('error', (err) => {
      append(Buffer.from(`\nspawn error: ${err.message}`));
      process.removeListener('exit', killOnExit);
      resolve();
    });
  });
  return { child, output: () => out, exited };
}

/** Stops a server process and waits for it to exit. */
export async function stopServer(server: ServerProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill(signal);
  await server.exited;
}

function redisPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

async function waitUntil(
  check: () => Promise<boolean>,
  server: ServerProcess,
  what: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (server.child.exitCode !== null || server.child.signalCode !== null) {
      throw new Error(`${what} exited before it was ready. Output:\n${server.output()}`);
    }
    if (await check()) return;
    if (performance.now() > deadline) {
      await stopServer(server, 'SIGKILL');
      throw new Error(`${what} did not become ready within ${timeoutMs} ms. Output:\n${server.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A redis-server started by `startRedis`. */
export interface RedisServer {
  /** `redis://127.0.0.1:PORT`. */
  readonly url: string;
  /** The loopback port, kept across restart(). */
  readonly port: number;
  /** Kills the server (SIGTERM by default; SIGKILL to simulate a crash) and removes its data directory. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the server again on the same port, empty (it never persists), stopping it first if it runs. */
  restart(): Promise<void>;
}

async function launchRedis(binary: string, port: number): Promise<{ server: ServerProcess; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'outbid-redis-'));
  const server = spawnServer(binary, [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'no',
    '--daemonize',
    'no',
  ]);
  try {
    await waitUntil(() => redisPing(port), server, `redis-server on 127.0.0.1:${port}`, READY_TIMEOUT_MS);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return { server, dir };
}

/** Starts a throw-away redis-server on a free loopback port; tests may stop and restart it to simulate outages. */
export async function startRedis(): Promise<RedisServer> {
  const binary = await ensureBinary('redis-server', 'redis-server');
  let port = 0;
  let current: { server: ServerProcess; dir: string } | undefined;
  // Another process may grab the port between freePort() and redis binding it: try a few.
  for (let attempt = 1; current === undefined; attempt++) {
    port = await freePort();
    try {
      current = await launchRedis(binary, port);
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
  const stop = async (signal?: NodeJS.Signals) => {
    const running = current;
    current = undefined;
    if (running === undefined) return;
    await stopServer(running.server, signal);
    await rm(running.dir, { recursive: true, force: true });
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop,
    async restart() {
      await stop();
      current = await launchRedis(binary, port);
    },
  };
}
