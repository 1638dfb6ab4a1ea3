/**
 * Runs before every test file (vitest `setupFiles`): the tests see none of the
 * variables the connector reads from the shell that started them. A developer's
 * `NATIVE_RATING_STATE_PATH` or `CONNECT_API_URL` (or an image's) would
 * otherwise send a test's writes to one shared database or a real platform, and
 * their AWS profile would be tried by the SDK. Tests that need a variable set
 * it themselves (and restore it). The AWS SDK is also kept off the instance
 * metadata service and the shared config files, which a missing credential
 * would otherwise make it try, waiting on network timeouts.
 */
import { devNull } from 'node:os';
import { ENVIRONMENT } from '../../src/config/env.js';

const named = ENVIRONMENT.map((v) => v.name as string).filter((name) => /^[A-Z][A-Z0-9_]*$/.test(name));
for (const name of Object.keys(process.env)) {
  if (named.includes(name) || name.startsWith('AWS_') || name.startsWith('NATIVE_RATING_')) delete process.env[name];
}
process.env.AWS_EC2_METADATA_DISABLED = 'true';
process.env.AWS_CONFIG_FILE = devNull;
process.env.AWS_SHARED_CREDENTIALS_FILE = devNull;
