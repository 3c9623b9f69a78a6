import { setDefaultTimeout } from 'bun:test';

// bunfig's [test] timeout is not honoured by Bun 1.4; end-to-end tests start processes and read big specs.
setDefaultTimeout(60_000);
