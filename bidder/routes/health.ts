import type { FastifyInstance } from 'fastify';
import type { CampaignIndex } from '../campaign-index.ts';
import type { BidderMetrics } from '../metrics.ts';

/** `/healthz` (process alive), `/readyz` (campaigns loaded, not shutting down), `/metrics` (Prometheus text). */
export async function healthRoutes(
  app: FastifyInstance,
  opts: { index: CampaignIndex; metrics: BidderMetrics; isClosing: () => boolean },
): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const snap = opts.index.current;
    if (!snap || opts.isClosing()) {
      return reply
        .code(503)
        .send({ status: 'not ready', reason: snap ? 'shutting down' : 'campaigns not loaded' });
    }
    return { status: 'ready', campaignVersion: snap.version, lineItems: snap.lineItems.length };
  });
  app.get('/metrics', async (_req, reply) => {
    reply.type(opts.metrics.registry.contentType);
    return opts.metrics.registry.metrics();
  });
}
