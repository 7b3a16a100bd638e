import { parseArgs } from 'node:util';
import { OutbidError } from '../../core/index.ts';
import { type Policy, type RunResult, runSimulation, type SimulationEnv } from './run-simulation.ts';
import { loadScenario, type Scenario } from './scenario.ts';

/** Where the command writes, and how it gets a fresh simulated world per run (the CLI builds a real bidder). */
export interface SimulateIo {
  stdout(line: string): void;
  /** Progress; a TTY gets a bar that rewrites itself. */
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** A fresh bidder on a fresh state store and ClickHouse database, on a simulated clock; closed after its run. */
  world(): Promise<SimulationEnv & { close(): Promise<void> }>;
}

const USAGE = `usage: outbid simulate --scenario FILE [--seed N] [--policies optimizer,oracle,uniform]
  Runs the scenario's synthetic exchange and audience against a real bidder on a simulated clock,
  once per policy (the optimizer's bandit cycles, an oracle that knows the truth, a fixed even
  split), and prints one JSON line: goal units and spend per policy, and the optimizer's ratios.
  The bidder's events go to embedded ClickHouse (a temporary directory); the optimizer reads its
  statistics from the hourly rollup there. Fallen-back cycles are logged on stderr.`;

/** The final JSON line. */
export interface SimulationReport {
  scenario: string;
  seed: number;
  goal: Scenario['campaign']['goal'];
  runs: Record<string, Omit<RunResult, 'policy'>>;
  /** Optimizer goal units ÷ the oracle's, and ÷ the uniform split's (when both ran). */
  vsOracle?: number;
  vsUniform?: number;
  /** The same ratios on expected goal units (the served impressions' true rates: no draw noise). */
  vsOracleExpected?: number;
  vsUniformExpected?: number;
}

/** `outbid simulate`: resolves to the exit code (0 done, 1 failed, 2 bad arguments). */
export async function simulateCommand(argv: readonly string[], io: SimulateIo): Promise<number> {
  let values: {
    scenario?: string | boolean;
    seed?: string | boolean;
    policies?: string | boolean;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        scenario: { type: 'string' },
        seed: { type: 'string' },
        policies: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    io.stderr.write(`outbid simulate: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    io.stdout(USAGE);
    return 0;
  }
  if (typeof values.scenario !== 'string') {
    io.stderr.write(`outbid simulate: --scenario FILE is required\n${USAGE}\n`);
    return 2;
  }
  const policies = (typeof values.policies === 'string' ? values.policies : 'optimizer,oracle,uniform').split(
    ',',
  );
  const bad = policies.filter((p) => !['optimizer', 'oracle', 'uniform'].includes(p));
  if (bad.length > 0 || policies.length === 0) {
    io.stderr.write(`outbid simulate: unknown policy ${bad.join(', ')}\n${USAGE}\n`);
    return 2;
  }
  let scenario: Scenario;
  try {
    scenario = loadScenario(values.scenario);
  } catch (err) {
    io.stderr.write(`outbid simulate: ${(err as Error).message}\n`);
    return 2;
  }
  const seed = typeof values.seed === 'string' ? Number(values.seed) : (scenario.seed ?? 1);
  if (!Number.isSafeInteger(seed) || seed < 0) {
    io.stderr.write(`outbid simulate: --seed must be a non-negative integer\n`);
    return 2;
  }
  const report: SimulationReport = { scenario: scenario.name, seed, goal: scenario.campaign.goal, runs: {} };
  try {
    for (const policy of policies as Policy[]) {
      const world = await io.world();
      try {
        const r = await runSimulation(
          scenario,
          seed,
          policy,
          world,
          (hour, hours) => {
            if (io.stderr.isTTY) {
              const width = 30;
              const done = Math.round((hour / hours) * width);
              io.stderr.write(
                `\r${policy.padEnd(9)} [${'#'.repeat(done)}${' '.repeat(width - done)}] ${hour}/${hours} h`,
              );
              if (hour === hours) io.stderr.write('\n');
            } else if (hour === hours) io.stderr.write(`${policy}: ${hours} simulated hours done\n`);
          },
          // On a TTY the line replaces the progress bar, which the next hour redraws.
          (line) => io.stderr.write(`${io.stderr.isTTY ? '\r\x1b[K' : ''}${policy}: ${line}\n`),
        );
        const { policy: _, ...rest } = r;
        report.runs[policy] = rest;
      } finally {
        await world.close();
      }
    }
  } catch (err) {
    io.stderr.write(`outbid simulate: ${err instanceof OutbidError ? err.message : String(err)}\n`);
    return 1;
  }
  const o = report.runs.optimizer;
  if (o && report.runs.oracle) {
    report.vsOracle = ratio(o.units, report.runs.oracle.units);
    report.vsOracleExpected = ratio(o.expectedUnits, report.runs.oracle.expectedUnits);
  }
  if (o && report.runs.uniform) {
    report.vsUniform = ratio(o.units, report.runs.uniform.units);
    report.vsUniformExpected = ratio(o.expectedUnits, report.runs.uniform.expectedUnits);
  }
  io.stdout(JSON.stringify(report));
  return 0;
}

function ratio(a: number, b: number): number {
  return b === 0 ? 0 : Math.round((a / b) * 1000) / 1000;
}
