export { type EventSink, MemoryEventSink, type NoticeEvent, type OutbidEvent } from './event-sink.ts';
