import { setDefaultTimeout } from 'bun:test';

// Bun 1.4 honours neither bunfig's [test] timeout nor always this call: `npm test` also passes
// --timeout. End-to-end tests start processes, and the first run downloads GitHub's spec from npm.
setDefaultTimeout(120_000);
