// `npm test` runs this first (pretest): the tests start real redis-server, redis-cli --cluster, nginx, ab, curl (the
// docs check runs the README's curl lines), PostgreSQL (initdb, pg_ctl, postgres) and chromium (the dashboard's
// browser test, through playwright-core).
// As root with apt-get, a missing one is installed (the same path `ticket-spike up` takes); otherwise the
// run stops here with a message naming the Debian package, instead of 20 failing tests.
import { ensureBinary } from '../../src/launcher/prereqs.js';
import { createLauncherLog } from '../../src/launcher/log.js';
import { LaunchError } from '../../src/launcher/errors.js';

const log = createLauncherLog('warn');
try {
  for (const binary of ['redis-server', 'redis-cli', 'nginx', 'ab', 'curl', 'initdb', 'pg_ctl', 'postgres', 'chromium']) ensureBinary(binary, log);
} catch (err) {
  if (!(err instanceof LaunchError)) throw err;
  process.stderr.write(`npm test: ${err.message}\n`);
  process.exit(1);
}
