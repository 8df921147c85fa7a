// Issue 20 across hosts (test/chaos/hosts-suite.ts): an app host's cable pulled for 10 s and plugged back (it may
// be the master's host: the others elect a new one, and the old one comes back as a replica), and the database
// host away for 5 s (orders wait in Redis, then PostgreSQL catches up and agrees order by order).
import t from 'tap';
import { hostFaultsTest } from '../chaos/hosts-suite.js';

t.setTimeout(300_000);
hostFaultsTest(t, [{ fault: 'host-partition', cutSeconds: 10 }, { fault: 'db-outage', cutSeconds: 5 }], 20261230);
