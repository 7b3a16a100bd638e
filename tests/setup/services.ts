import { type ChildProcess, spawn } from 'node:child_process';
import { constants, existsSync } from 'node:fs';
import { access, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
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

/** Waits until the redis-server on `port` answers PING; throws with its output if it exits or stays silent. */
export function waitForRedis(port: number, server: ServerProcess): Promise<void> {
  return waitUntil(() => redisPing(port), server, `redis-server on 127.0.0.1:${port}`, READY_TIMEOUT_MS);
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
    await waitForRedis(port, server);
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

const CLICKHOUSE_READY_TIMEOUT_MS = 30_000;
const POLICY_RC_D = '/usr/sbin/policy-rc.d';

/**
 * Debian's postinst runs `invoke-rc.d clickhouse-server start`. Without systemd that can fail the
 * install or leave a system server on 8123/9000, so while installing we deny service starts the
 * way Docker images do (exit 101), unless the image already does.
 */
async function ensureClickHouseBinary(): Promise<string> {
  const found = await findOnPath('clickhouse-server');
  if (found !== undefined) return found;
  const addPolicy = process.getuid?.() === 0 && existsSync('/etc/debian_version') && !existsSync(POLICY_RC_D);
  if (addPolicy) await writeFile(POLICY_RC_D, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    return await ensureBinary('clickhouse-server', 'clickhouse-server');
  } finally {
    if (addPolicy) await unlink(POLICY_RC_D).catch(() => {});
  }
}

function clickhousePing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: '/ping', timeout: 1000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve(res.statusCode === 200 && body.startsWith('Ok.')));
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(false));
  });
}

function clickhouseConfig(dir: string, httpPort: number, tcpPort: number): string {
  // Only what 18.16 needs to run unprivileged in a throw-away directory; everything else defaults.
  return `<?xml version="1.0"?>
<yandex>
  <logger>
    <level>warning</level>
    <log>${dir}/log/server.log</log>
    <errorlog>${dir}/log/server.err.log</errorlog>
    <size>10M</size>
    <count>1</count>
  </logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>${httpPort}</http_port>
  <tcp_port>${tcpPort}</tcp_port>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <user_files_path>${dir}/user_files/</user_files_path>
  <format_schema_path>${dir}/format_schemas/</format_schema_path>
  <mark_cache_size>67108864</mark_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
  <timezone>UTC</timezone>
  <users_config>${dir}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
</yandex>
`;
}

const CLICKHOUSE_USERS = `<?xml version="1.0"?>
<yandex>
  <profiles><default></default></profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas><default></default></quotas>
</yandex>
`;

/** A clickhouse-server started by `startClickHouse`. */
export interface ClickHouseServer {
  /** `http://127.0.0.1:PORT` (the HTTP interface @clickhouse/client talks to). */
  readonly url: string;
  /** The HTTP port, kept across restart(). */
  readonly httpPort: number;
  /** Kills the server (SIGKILL by default: 18.16's graceful stop takes ~5 s, and the data is deleted anyway) and removes its directory. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Stops the server but keeps its data, to simulate an outage; restart() brings it back. */
  down(signal?: NodeJS.Signals): Promise<void>;
  /** `down('SIGKILL')`: a crash. */
  kill9(): Promise<void>;
  /** Starts the server again on the same ports with the same data, stopping it first if it runs. */
  restart(): Promise<void>;
}

async function launchClickHouse(binary: string, dir: string, httpPort: number): Promise<ServerProcess> {
  const server = spawnServer(binary, [`--config-file=${join(dir, 'config.xml')}`]);
  await waitUntil(
    () => clickhousePing(httpPort),
    server,
    `clickhouse-server on 127.0.0.1:${httpPort}`,
    CLICKHOUSE_READY_TIMEOUT_MS,
  );
  return server;
}

/**
 * Starts a throw-away clickhouse-server (Debian's 18.16 here) on free loopback ports, as the
 * current user: it runs as root too (checked on 18.16), so CI needs no extra user.
 */
export async function startClickHouse(): Promise<ClickHouseServer> {
  const binary = await ensureClickHouseBinary();
  const dir = await mkdtemp(join(tmpdir(), 'outbid-clickhouse-'));
  await writeFile(join(dir, 'users.xml'), CLICKHOUSE_USERS);
  let httpPort = 0;
  let tcpPort = 0;
  let current: ServerProcess | undefined;
  // Another process may grab a port between freePort() and the server binding it: try a few.
  for (let attempt = 1; current === undefined; attempt++) {
    httpPort = await freePort();
    tcpPort = await freePort();
    await writeFile(join(dir, 'config.xml'), clickhouseConfig(dir, httpPort, tcpPort));
    try {
      current = await launchClickHouse(binary, dir, httpPort);
    } catch (err) {
      if (attempt >= 3) {
        await rm(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }
  const down = async (signal?: NodeJS.Signals) => {
    const running = current;
    current = undefined;
    if (running !== undefined) await stopServer(running, signal);
  };
  return {
    url: `http://127.0.0.1:${httpPort}`,
    httpPort,
    down,
    kill9: () => down('SIGKILL'),
    async stop(signal: NodeJS.Signals = 'SIGKILL') {
      await down(signal);
      await rm(dir, { recursive: true, force: true });
    },
    async restart() {
      await down();
      current = await launchClickHouse(binary, dir, httpPort);
    },
  };
}
