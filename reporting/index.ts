export {
  ATTRIBUTE_SQL,
  type AttributionRow,
  type AttributionSettings,
  type AttributionWindows,
  type ConversionWindow,
  readAttributions,
  refreshAttribution,
} from './attribution/attribution.ts';
export type { ClickHouse, InsertFormat, QueryParam, QueryParams } from './clickhouse/clickhouse.ts';
export { type EmbeddedClickHouseOptions, openEmbeddedClickHouse } from './clickhouse/embedded-clickhouse.ts';
export {
  backfillRollups,
  type HourlyRow,
  type HourWindow,
  readHourlyRollup,
  refreshDailyRollups,
  refreshHourlyRollup,
  refreshNoBidRollup,
  refreshRollups,
} from './clickhouse/hourly-rollup.ts';
export { connectServerClickHouse, type ServerClickHouseOptions } from './clickhouse/server-clickhouse.ts';
export { ReportingErrors } from './errors.ts';
export { type EventSink, MemoryEventSink, type NoticeEvent, type OutbidEvent } from './event-sink.ts';
export { type CommandIo, migrateCommand } from './migrate-command.ts';
export { type MigrateOptions, type MigrateResult, migrate } from './migrations/migrate.ts';
export { type ClickHouseSettings, openClickHouse } from './open-clickhouse.ts';
export { type ReconnectingOptions, reconnectingClickHouse } from './reconnecting-clickhouse.ts';
export { RefreshScheduler, type RefreshSchedulerOptions } from './refresh-scheduler.ts';
export {
  parseReportRequest,
  REPORTS,
  type ReportDef,
  type ReportRequest,
  runReport,
  toCsv,
} from './reports/reports.ts';
export {
  ClickHouseEventSink,
  type ClickHouseEventSinkOptions,
  type SinkStats,
} from './sink/clickhouse-event-sink.ts';
export { eventIdOf } from './sink/event-row.ts';
export type {
  CampaignChangeEvent,
  ConversionEvent,
  NoBidEvent,
  OptimizerDecisionEvent,
  ReportingEvent,
  TrackEvent,
} from './sink/reporting-event.ts';
