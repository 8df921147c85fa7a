import type { Redis } from 'ioredis';

/**
 * A client that found its master through the Sentinels must stay on the master. It can end up on a replica: a
 * client that missed +switch-master (its Sentinel was cut off together with the old master, split brain) is still
 * connected to the old master when the link comes back and Sentinel turns that server into a replica; a reconnect
 * that asked a stale Sentinel lands on it too. Writes then fail with READONLY (connectRedis reconnects on that), but
 * a client that only reads, or whose first refused command is WAIT ("cannot be used with replica instances"), could
 * stay there for good — the order worker did, in the split brain across hosts (issue 20). So: ROLE every `everyMs`
 * on the connection itself, and a connection whose server is not a master is dropped; ioredis reconnects through
 * the Sentinels to the master they name. One ROLE per 2 s per connection; the timer never keeps the process up.
 */
export function guardMaster(client: Redis, everyMs = 2000): void {
  let checking = false;
  const timer = setInterval(() => {
    if (checking || client.status !== 'ready') return;
    checking = true;
    client
      .call('ROLE')
      .then((reply) => {
        const role = Array.isArray(reply) ? String(reply[0]) : '';
        if (role !== '' && role !== 'master' && client.status === 'ready') client.disconnect(true);
      })
      .catch(() => {}) // a failed read proves nothing; the next tick asks again
      .finally(() => (checking = false));
  }, everyMs);
  timer.unref();
  client.once('end', () => clearInterval(timer));
}

/**
 * ioredis ends a Sentinel client for good when its connector fails to resolve a master once (Redis.connect: an
 * error from the connector sets status "end"; every command after is "Connection is closed."). Seen in the split
 * brain across hosts (issue 20): the order worker's client asked Sentinels mid-failover, got an error, and never
 * connected again. So a client that ends without its owner closing it (quit, or disconnect without reconnect) is
 * connected again after the usual backoff. The timer is unref'd: it never keeps a stopping process up.
 */
export function keepConnecting(client: Redis, delay: (attempt: number) => number): void {
  let closing = false;
  let attempts = 0;
  const disconnect = client.disconnect.bind(client);
  client.disconnect = (reconnect = false) => {
    if (!reconnect) closing = true;
    disconnect(reconnect);
  };
  const quit = client.quit.bind(client);
  client.quit = ((...args: Parameters<Redis['quit']>) => {
    closing = true;
    return quit(...args);
  });
  client.on('ready', () => (attempts = 0));
  client.on('end', () => {
    if (closing) return;
    const timer = setTimeout(() => {
      if (!closing && client.status === 'end') client.connect().catch(() => {});
    }, delay(++attempts));
    timer.unref();
  });
}
