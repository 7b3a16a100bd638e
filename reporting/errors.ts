import type { ErrorDef } from '../core/index.ts';

/**
 * The reporting module's error catalog. `CH_*` come from the ClickHouse drivers and migrations,
 * `SINK_*` from the durable event sink (which reports them through `onError`, never by throwing on
 * the bid path). Tests assert codes, never messages.
 */
export const ReportingErrors = {
  CH_CONNECT: {
    code: 'CH_CONNECT',
    statusCode: 503,
    description: 'ClickHouse could not be reached or opened (server down, bad URL, data directory locked)',
  },
  CH_QUERY: {
    code: 'CH_QUERY',
    statusCode: 500,
    description: 'ClickHouse rejected or failed a statement (syntax, unknown table, server error)',
  },
  CH_INSERT: {
    code: 'CH_INSERT',
    statusCode: 503,
    description: 'An insert was not acknowledged by ClickHouse; the caller keeps the rows and retries',
  },
  CH_BAD_PARAM: {
    code: 'CH_BAD_PARAM',
    statusCode: 400,
    description:
      'A query parameter is missing, has an unsupported `{name:Type}` type, or a value that does not fit its type',
  },
  CH_CLOSED: {
    code: 'CH_CLOSED',
    statusCode: 500,
    description: 'The ClickHouse handle was used after close()',
  },
  CH_MIGRATION_CHANGED: {
    code: 'CH_MIGRATION_CHANGED',
    statusCode: 500,
    description: 'An applied migration file was edited (its checksum differs from schema_migrations)',
  },
  CH_MIGRATION_INVALID: {
    code: 'CH_MIGRATION_INVALID',
    statusCode: 500,
    description:
      'A migration file name is not `NNN_name.sql`, a version repeats, or a statement cannot be clustered',
  },
  SINK_SPOOL_WRITE: {
    code: 'SINK_SPOOL_WRITE',
    statusCode: 503,
    description:
      'Writing or fsyncing the local spool failed (ENOSPC, EIO); the events stay in memory and are retried',
  },
  SINK_SPOOL_CORRUPT: {
    code: 'SINK_SPOOL_CORRUPT',
    statusCode: 500,
    description:
      'A spool record failed its checksum in the middle of a segment; the segment was moved to quarantine',
  },
  SINK_SPOOL_TRUNCATED: {
    code: 'SINK_SPOOL_TRUNCATED',
    statusCode: 500,
    description: 'The last record of a segment was cut short (a crash mid-write); it was skipped',
  },
  SINK_DELIVERY: {
    code: 'SINK_DELIVERY',
    statusCode: 503,
    description: 'Delivering a batch to ClickHouse failed; it stays spooled and is retried with backoff',
  },
  SINK_REJECTED: {
    code: 'SINK_REJECTED',
    statusCode: 500,
    description:
      'ClickHouse was reachable but rejected a spooled batch repeatedly; it was moved to quarantine',
  },
  SINK_OVERLOADED: {
    code: 'SINK_OVERLOADED',
    statusCode: 503,
    description:
      'The in-memory backlog hit its limit (spool unwritable for long); the newest events were dropped',
  },
  SINK_CLOSED: { code: 'SINK_CLOSED', statusCode: 500, description: 'An event was emitted after close()' },
  TRACK_BAD_SIGNATURE: {
    code: 'TRACK_BAD_SIGNATURE',
    statusCode: 400,
    description:
      'An impression or click URL whose ids, user key or landing URL do not match its signature (never redirected)',
  },
  TRACK_BAD_CONVERSION: {
    code: 'TRACK_BAD_CONVERSION',
    statusCode: 400,
    description:
      'A conversion postback without click_id, imp_id or user_id, or with a malformed value, an unknown currency or an over-long id',
  },
  REPORT_NOT_FOUND: { code: 'REPORT_NOT_FOUND', statusCode: 404, description: 'No report by that name' },
  REPORT_BAD_PARAMS: {
    code: 'REPORT_BAD_PARAMS',
    statusCode: 400,
    description:
      'Report parameters missing or invalid (dates, ids, grain, dimension, format); the message names the parameter',
  },
  REPORT_UNAVAILABLE: {
    code: 'REPORT_UNAVAILABLE',
    statusCode: 503,
    description: 'Reports need ClickHouse (EVENT_SINK=clickhouse), or the query failed; details are logged',
  },
} as const satisfies Record<string, ErrorDef>;
