import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config/index.ts';
import { OutbidError } from '../../core/index.ts';
import {
  type ClickHouse,
  parseReportRequest,
  REPORTS,
  ReportingErrors,
  runReport,
  toCsv,
} from '../../reporting/index.ts';
import { checkAdmin } from './profiles-api.ts';

/** What the reports API needs. */
export interface ReportsApiOptions {
  config: Config;
  /** Where the events are; absent (memory sink): every report is REPORT_UNAVAILABLE. */
  clickhouse: ClickHouse | undefined;
}

/**
 * `GET /api/v1/reports/:name` — the analyst queries of reporting/queries/ over HTTP, admin key
 * only. Parameters are validated (unknown ones refused) and bound, never concatenated. JSON by
 * default (`{report, rows}`); CSV with `?format=csv` or `Accept: text/csv`. `GET /api/v1/reports`
 * lists the reports with their documentation.
 */
export async function reportsApi(app: FastifyInstance, o: ReportsApiOptions): Promise<void> {
  app.get('/api/v1/reports', async (req, reply) => {
    if (!checkAdmin(o.config, req, reply)) return reply;
    return {
      reports: [...REPORTS.values()].map((d) => ({
        name: d.name,
        params: d.params,
        columns: d.columns,
        doc: d.doc,
      })),
    };
  });

  app.get<{ Params: { name: string } }>('/api/v1/reports/:name', (req, reply) =>
    report(req.params.name, req, reply),
  );
  // The optimizer's decision log, where the dashboard looks for it: the `optimizer_decisions` report.
  app.get('/api/v1/optimizer/decisions', (req, reply) => report('optimizer_decisions', req, reply));

  async function report(name: string, req: FastifyRequest, reply: FastifyReply) {
    if (!checkAdmin(o.config, req, reply)) return reply;
    let request: ReturnType<typeof parseReportRequest>;
    try {
      request = parseReportRequest(name, req.query as Record<string, unknown>);
    } catch (err) {
      if (!(err instanceof OutbidError)) throw err;
      return reply.code(err.statusCode).send({ error: { code: err.code, message: err.message } });
    }
    const e = ReportingErrors.REPORT_UNAVAILABLE;
    if (o.clickhouse === undefined) {
      return reply
        .code(e.statusCode)
        .send({ error: { code: e.code, message: 'reports need ClickHouse (EVENT_SINK=clickhouse)' } });
    }
    let rows: Record<string, unknown>[];
    try {
      rows = await runReport(o.clickhouse, request);
    } catch (err) {
      req.log.error({ err, report: request.def.name }, 'report query failed');
      return reply.code(e.statusCode).send({ error: { code: e.code, message: 'the report query failed' } });
    }
    const csv =
      request.format === 'csv' ||
      (request.format === undefined && /\btext\/csv\b/.test(req.headers.accept ?? ''));
    if (csv) {
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${request.def.name}.csv"`)
        .send(toCsv(request.def.columns, rows));
    }
    return { report: request.def.name, rows };
  }
}
