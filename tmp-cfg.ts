import { loadConfig } from './config/index.ts';
console.log(loadConfig({}));
try { loadConfig({ PORT: 'abc', LOG_LEVEL: 'loud', PUBLIC_URL: 'ftp://x', CURRENCY_RATES: '{"EUR":-1}', EXCHANGES: '{"a":{"noBidResponse":"x"}}', SEED_DEMO: 'maybe', OUTBID_SECRET: 'short' }); } catch (e) { console.log((e as Error).message); }
