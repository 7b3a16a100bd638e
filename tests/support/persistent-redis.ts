import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ensureBinary,
  freePort,
  type ServerProcess,
  spawnServer,
  stopServer,
  waitForRedis,
} from '../setup/services.ts';

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
  await waitForRedis(port, server);
  return {
    url: `redis://127.0.0.1:${port}`,
    kill: () => stopServer(server, 'SIGKILL'),
    async restart() {
      server = spawnServer(binary, args);
      await waitForRedis(port, server);
    },
    async stop() {
      await stopServer(server);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
