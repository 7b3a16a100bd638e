/** The HTTP bench's server designs (bench/bidder/server.ts), in the order they are measured. */
export const DESIGNS = [
  'raw',
  'fastify-parse',
  'app-base',
  'app',
  'app-caps',
  'app-redis',
  'app-workers',
  'app-hop',
  'app-cluster',
  'clone-hop',
] as const;
/** One server design. */
export type Design = (typeof DESIGNS)[number];

/** Row labels. */
export const DESIGN_LABELS: Record<Design, string> = {
  raw: 'raw node:http (ceiling)',
  'fastify-parse': 'fastify-parse: fastify reads and JSON-parses the body, answers 204 (bench-only)',
  'app-base': 'app-base: main thread, before budget/pacing/caps (baseline commit)',
  app: 'app: main thread',
  'app-caps': 'app-caps: main thread, frequency caps on every line item (embedded stores)',
  'app-redis': 'app-redis: main thread, budgets and caps on Redis',
  'app-workers': 'app-workers: 2 threads, batch per turn',
  'app-hop': 'app-hop: 2 threads, 1 hop/request, bytes',
  'app-cluster': 'app-cluster: 2 processes',
  'clone-hop': 'clone-hop: 2 threads, 1 hop/request, parsed object (bench-only)',
};

/** What a ready server prints on stdout (one JSON line). */
export interface ReadyLine {
  port: number;
  /** Where to scrape `outbid_bid_requests_total`: one per process for cluster, none for raw, fastify-parse and clone-hop. */
  metricsUrls: string[];
  /** Processes serving the design (CPU accounting); threads are counted in their process. */
  pids: number[];
}
