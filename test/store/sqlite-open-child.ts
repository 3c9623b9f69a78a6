/** Run by sqlite.test.ts in several processes at once: open (and so migrate) the file, write one client, exit. */
import { openStore } from '../../src/store';
import { aClient } from '../../src/store/testing/fixtures';

const [file, id] = process.argv.slice(2);
if (!file || !id) throw new Error('usage: sqlite-open-child.ts <file> <client id>');
const store = await openStore(file);
await store.putClient(aClient({ id }));
await store.close();
