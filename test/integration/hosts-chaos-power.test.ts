// Issue 20 across hosts (test/chaos/hosts-suite.ts): an app host's power cut (node, Redis and Sentinel killed at
// once, back after a reboot), and split brain — the master's host cut off together with its own node while buyers
// on that host keep buying from it: the old master must confirm nothing that is then lost.
import t from 'tap';
import { hostFaultsTest } from '../chaos/hosts-suite.js';

t.setTimeout(300_000);
hostFaultsTest(t, [{ fault: 'host-power-loss', cutSeconds: 0 }, { fault: 'master-cut-off', cutSeconds: 0 }], 20261220);
