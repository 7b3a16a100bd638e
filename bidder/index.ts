export { type AppDeps, type Bidder, buildApp } from './build-app.ts';
export { BidderErrors } from './errors.ts';
