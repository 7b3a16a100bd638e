import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensureBinary, freePort, type ServerProcess, spawnServer, stopServer } from './services.ts';

/**
 * A throw-away Redis Cluster for integration tests: N masters, no replicas, on free loopback
 * ports, each in its own temporary directory. Started by a test file's `beforeAll` (not the global
 * setup): only the cluster tests need it, and a cluster per file keeps their keys apart.
 */

const run = promisify(execFile);
const READY_TIMEOUT_MS = 20_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One master of a `RedisCluster`. */
export interface RedisClusterNode {
  /** Client port on 127.0.0.1, kept across restart(). */
  readonly port: number;
  /** Kills the node (SIGTERM by default; SIGKILL to simulate a crash); its directory (and nodes.conf) stays. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /**
   * Starts the node again on the same ports and directory: it rejoins with its slots, read from
   * nodes.conf, but empty (it never persists data). Resolves once the cluster says `ok` again.
   */
  restart(): Promise<void>;
}

/** A cluster started by `startRedisCluster`. */
export interface RedisCluster {
  /** Every node as a comma-separated seed list, `redis://127.0.0.1:P1,redis://127.0.0.1:P2,…`. */
  readonly url: string;
  readonly nodes: readonly RedisClusterNode[];
  /** Wall time from the first spawn to `cluster_state:ok` on every node, ms. */
  readonly startMs: number;
  /** `startMs` split: nodes answering PING, `redis-cli --cluster create` done, `cluster_state:ok` everywhere (ms since the first spawn). */
  readonly phasesMs: { readonly ping: number; readonly create: number; readonly ok: number };
  /** Kills every node and removes the directories. */
  stop(): Promise<void>;
}

interface NodeProcess {
  port: number;
  busPort: number;
  dir: string;
  server: ServerProcess | undefined;
}

async function cli(redisCli: string, port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run(redisCli, ['-h', '127.0.0.1', '-p', String(port), ...args], {
    timeout: 5_000,
  });
  return stdout;
}

function nodeArgs(n: NodeProcess): string[] {
  // The bus port is picked like the client port: the default (port + 10000) may exceed 65535 or be taken.
  return [
    '--port',
    String(n.port),
    '--cluster-port',
    String(n.busPort),
    '--bind',
    '127.0.0.1',
    '--dir',
    n.dir,
    '--cluster-enabled',
    'yes',
    '--cluster-config-file',
    'nodes.conf',
    // A stopped node is declared failed after this; the default 15 s would outlast a test.
    '--cluster-node-timeout',
    '2000',
    '--save',
    '',
    '--appendonly',
    'no',
    '--daemonize',
    'no',
  ];
}

async function waitFor(what: string, check: () => Promise<boolean>, nodes: readonly NodeProcess[]) {
  const deadline = performance.now() + READY_TIMEOUT_MS;
  for (;;) {
    for (const n of nodes) {
      const child = n.server?.child;
      if (child !== undefined && (child.exitCode !== null || child.signalCode !== null)) {
        throw new Error(`redis-server on 127.0.0.1:${n.port} exited. Output:\n${n.server?.output()}`);
      }
    }
    if (await check().catch(() => false)) return;
    if (performance.now() > deadline) {
      const outputs = nodes.map((n) => `--- 127.0.0.1:${n.port}\n${n.server?.output() ?? ''}`).join('\n');
      throw new Error(`${what} within ${READY_TIMEOUT_MS} ms. Output:\n${outputs}`);
    }
    await sleep(50);
  }
}

/** Starts `masters` cluster-enabled redis-servers, joins them with `redis-cli --cluster create`, and waits for `cluster_state:ok` everywhere. */
export async function startRedisCluster(options: { masters?: number } = {}): Promise<RedisCluster> {
  const masters = options.masters ?? 3;
  const redisServer = await ensureBinary('redis-server', 'redis-server');
  const redisCli = await ensureBinary('redis-cli', 'redis-tools');
  const t0 = performance.now();
  const nodes: NodeProcess[] = [];
  const phases = { ping: 0, create: 0 };
  const stopAll = async () => {
    await Promise.all(
      nodes.map(async (n) => {
        if (n.server !== undefined) await stopServer(n.server, 'SIGKILL');
        await rm(n.dir, { recursive: true, force: true });
      }),
    );
  };
  const pingAll = (list: readonly NodeProcess[]) => async () =>
    (await Promise.all(list.map((n) => cli(redisCli, n.port, 'ping')))).every((r) => r.trim() === 'PONG');
  const clusterOk = async () =>
    (await Promise.all(nodes.map((n) => cli(redisCli, n.port, 'cluster', 'info')))).every((info) =>
      info.includes('cluster_state:ok'),
    );
  try {
    // Another process may take a port between freePort() and the bind: a failed node is replaced.
    for (let attempt = 1; nodes.length < masters; attempt++) {
      const fresh: NodeProcess[] = [];
      for (let i = nodes.length; i < masters; i++) {
        const dir = await mkdtemp(join(tmpdir(), 'outbid-redis-cluster-'));
        const n: NodeProcess = { port: await freePort(), busPort: await freePort(), dir, server: undefined };
        n.server = spawnServer(redisServer, nodeArgs(n));
        fresh.push(n);
      }
      try {
        await waitFor('redis-server did not answer PING', pingAll(fresh), fresh);
        nodes.push(...fresh);
      } catch (err) {
        await Promise.all(
          fresh.map(async (n) => {
            if (n.server !== undefined) await stopServer(n.server, 'SIGKILL');
            await rm(n.dir, { recursive: true, force: true });
          }),
        );
        if (attempt >= 3) throw err;
      }
    }
    phases.ping = performance.now() - t0;
    await run(
      redisCli,
      [
        '--cluster',
        'create',
        ...nodes.map((n) => `127.0.0.1:${n.port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { timeout: READY_TIMEOUT_MS },
    );
    phases.create = performance.now() - t0;
    await waitFor('the cluster did not reach cluster_state:ok', clusterOk, nodes);
  } catch (err) {
    await stopAll();
    throw err;
  }
  const startMs = performance.now() - t0;
  const ms = (v: number) => `${Math.round(v)} ms`;
  console.log(
    `[test setup] Redis Cluster of ${masters} masters up in ${ms(startMs)}: nodes answered PING at ` +
      `${ms(phases.ping)}, redis-cli --cluster create returned at ${ms(phases.create)}`,
  );

  const handles: RedisClusterNode[] = nodes.map((n) => ({
    port: n.port,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      const server = n.server;
      n.server = undefined;
      if (server !== undefined) await stopServer(server, signal);
    },
    async restart() {
      if (n.server !== undefined) await stopServer(n.server);
      n.server = spawnServer(redisServer, nodeArgs(n));
      await waitFor('the restarted node did not answer PING', pingAll([n]), [n]);
      await waitFor('the cluster did not reach cluster_state:ok after a restart', clusterOk, nodes);
    },
  }));
  return {
    url: nodes.map((n) => `redis://127.0.0.1:${n.port}`).join(','),
    nodes: handles,
    startMs,
    phasesMs: { ...phases, ok: startMs },
    stop: stopAll,
  };
}
