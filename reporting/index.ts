export type { ClickHouse, QueryParam, QueryParams } from './clickhouse/clickhouse.ts';
export { type EmbeddedClickHouseOptions, openEmbeddedClickHouse } from './clickhouse/embedded-clickhouse.ts';
export {
  type HourlyRow,
  type HourWindow,
  readHourlyRollup,
  refreshHourlyRollup,
} from './clickhouse/hourly-rollup.ts';
export { connectServerClickHouse, type ServerClickHouseOptions } from './clickhouse/server-clickhouse.ts';
export { ReportingErrors } from './errors.ts';
export { type EventSink, MemoryEventSink, type NoticeEvent, type OutbidEvent } from './event-sink.ts';
export { type CommandIo, migrateCommand } from './migrate-command.ts';
export { type MigrateOptions, type MigrateResult, migrate } from './migrations/migrate.ts';
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
