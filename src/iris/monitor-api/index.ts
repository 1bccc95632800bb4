export { MonitorApiClient, MonitorApiUnavailableError, type MonitorApiClientOptions, type ScrapeInfo } from './client.ts';
export { parseAlerts, severityWord, type AlertSeverityWord, type IrisAlert } from './alerts.ts';
export {
  licenseExpiryFrom,
  SYSTEM_STATE_WORDS,
  systemStateWord,
  toInstanceMetrics,
  type DatabaseMetrics,
  type InstanceMetrics,
  type InteropMetrics,
  type SystemStateWord,
} from './metrics.ts';
export { parsePrometheus, parsePromLine, parsePromValue, type PromParseResult, type PromSample } from './prometheus.ts';
