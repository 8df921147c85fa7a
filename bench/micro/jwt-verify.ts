// Question: what does buyer authentication cost a purchase? One token check per request: a signature
// verification the first time a token is seen, a cache hit for the buyer's retries after that. Side by side:
// BuyerTokens (fast-jwt, node:crypto) and jose (WebCrypto), the other well-kept choice.
// Run: node --import tsx bench/micro/jwt-verify.ts

import { generateKeyPairSync, webcrypto } from 'node:crypto';
import { Bench } from 'tinybench';
import { createSigner } from 'fast-jwt';
import { BuyerTokens } from '../../src/auth/buyer-tokens.js';
import { makeReport, printReport, writeReport, type Row } from './lib/harness.js';

const SECRET = 'a-shared-hs256-secret-of-32-chars!!';
const ed = generateKeyPairSync('ed25519');
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pub = (k: typeof ed.publicKey) => k.export({ type: 'spki', format: 'pem' }).toString();
const priv = (k: typeof ed.privateKey) => k.export({ type: 'pkcs8', format: 'pem' }).toString();
const exp = Math.floor(Date.now() / 1000) + 3600;

const variants = [
  { alg: 'HS256' as const, keys: { hs256Secret: SECRET }, sign: createSigner({ key: SECRET, algorithm: 'HS256' }) },
  { alg: 'EdDSA' as const, keys: { publicKeyPem: pub(ed.publicKey) }, sign: createSigner({ key: priv(ed.privateKey), algorithm: 'EdDSA' }) },
  { alg: 'RS256' as const, keys: { publicKeyPem: pub(rsa.publicKey) }, sign: createSigner({ key: priv(rsa.privateKey), algorithm: 'RS256' }) },
];

const bench = new Bench({ time: 800, warmupTime: 150, iterations: 5, warmupIterations: 2, throws: true });
// jose is optional here: measured when installed (npm i --no-save jose), skipped otherwise.
// A name typed as string keeps the compiler from resolving a module that is not a dependency.
const optionalModule: string = 'jose';
const jose = await import(optionalModule).catch(() => null) as null | { jwtVerify: (t: string, k: unknown, o: unknown) => Promise<unknown> };
for (const v of variants) {
  const token = v.sign({ sub: 'buyer-1', exp });
  const header = `Bearer ${token}`;
  const cold = new BuyerTokens(v.keys, 0); // remembers nothing: every call verifies the signature
  bench.add(`${v.alg}: BuyerTokens verify (a buyer's first request)`, () => {
    cold.buyerOf(header);
  });
  const warm = new BuyerTokens(v.keys);
  warm.buyerOf(header);
  bench.add(`${v.alg}: BuyerTokens, a buyer's retry${v.alg === 'HS256' ? ' (verified again)' : ' (remembered)'}`, () => {
    warm.buyerOf(header);
  });
  if (jose !== null) {
    const key =
      v.alg === 'HS256'
        ? await webcrypto.subtle.importKey('raw', new TextEncoder().encode(SECRET), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])
        : (v.alg === 'EdDSA' ? ed : rsa).publicKey;
    bench.add(`${v.alg}: jose jwtVerify`, async () => {
      await jose.jwtVerify(token, key, { algorithms: [v.alg] });
    });
  }
}
await bench.run();
const rows: Row[] = bench.tasks.map((task) => ({
  name: task.name,
  threads: 1,
  opsPerIteration: 1,
  opsPerSec: 1000 / task.result!.latency.mean,
  meanMs: task.result!.latency.mean,
  rme: task.result!.latency.rme,
  samples: task.result!.latency.samples.length,
}));
const report = makeReport('jwt-verify', 'What does buyer authentication cost a purchase?', rows, [
  `us per token check: ${rows.map((r) => `${r.name} ${(r.meanMs * 1000).toFixed(1)}`).join('; ')}`,
]);
printReport(report);
console.log(`wrote ${writeReport(report)}`);
