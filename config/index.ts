export { type Config, ConfigError, type ExchangeConfig, loadConfig } from './load-config.ts';
