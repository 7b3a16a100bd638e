import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../core/index.ts';
import { ensureBinary, freePort, type ServerProcess, spawnServer, stopServer } from '../setup/services.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => systemClock.monotonic();

/** A redis-server with an fsync-always append-only file, killed and restarted on the same port and data. */
export async function startPersistentRedis() {
  const binary = await ensureBinary('redis-server', 'redis-server');
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'outbid-budget-redis-'));
  // fsync always: every acknowledged script is on disk, so a SIGKILL loses nothing acknowledged —
  // what a production budget Redis must be configured for (a plain startRedis() restarts empty).
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''];
  args.push('--appendonly', 'yes', '--appendfsync', 'always', '--daemonize', 'no');
  let server: ServerProcess = spawnServer(binary, args);
  await waitForPing(port, server);
  return {
    url: `redis://127.0.0.1:${port}`,
    kill: () => stopServer(server, 'SIGKILL'),
    async restart() {
      server = spawnServer(binary, args);
      await waitForPing(port, server);
    },
    async stop() {
      await stopServer(server);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function waitForPing(port: number, server: ServerProcess): Promise<void> {
  const deadline = now() + 10_000;
  while (now() < deadline) {
    if (server.child.exitCode !== null) throw new Error(`redis-server exited: ${server.output()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port });
      const done = (v: boolean) => {
        socket.destroy();
        resolve(v);
      };
      socket.setTimeout(500, () => done(false));
      socket.once('error', () => done(false));
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.once('data', (chunk) => done(chunk.toString('latin1').startsWith('+PONG')));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`redis-server on ${port} not ready: ${server.output()}`);
}
