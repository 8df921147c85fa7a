// Issue 20 across hosts (test/chaos/hosts-suite.ts), one layout for all four faults, each alone: an app host's power
// cut (node, Redis and Sentinel killed at once, back after a reboot; mostly the master's host); split brain — the
// master's host cut off together with its own node while buyers on that host keep buying from it: the old master
// must confirm nothing that is then lost; an app host's cable pulled for 10 s and plugged back; the database host
// away for 5 s (orders wait in Redis, then PostgreSQL catches up and agrees order by order).
import t from 'tap';
import { hostFaultsTest } from '../chaos/hosts-suite.js';

t.setTimeout(300_000);
hostFaultsTest(
  t,
  [
    { fault: 'host-power-loss', cutSeconds: 0 },
    { fault: 'master-cut-off', cutSeconds: 0 },
    { fault: 'host-partition', cutSeconds: 10 },
    { fault: 'db-outage', cutSeconds: 5 },
  ],
  20261220,
);
