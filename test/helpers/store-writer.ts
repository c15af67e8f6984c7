/**
 * A child process for store tests: writes credentials for one profile through the real FileStore, over
 * and over, printing the number of each completed write, until it is killed.
 * Usage: node store-writer.mjs AUTH_JSON PROFILE PAYLOAD_BYTES FIRST_WRITE_NUMBER
 */
import { FileStore } from '../../src/adapters/file-store.js';

const [path, profile = 'default', size = '65536', first = '1'] = process.argv.slice(2);
const store = new FileStore(path as string);
const padding = 'x'.repeat(Number(size));

for (let n = Number(first); ; n++) {
  // The key encodes its own write number and length, so a reader can tell a whole write from a torn one.
  await store.put(profile, { kind: 'api_key', api_key: `key-${n}-${padding}`, obtained_at: n });
  process.stdout.write(`${n}\n`);
}
