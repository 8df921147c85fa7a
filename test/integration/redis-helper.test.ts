import t from 'tap';
import { RedisServer, ping } from '../helpers/redis-server.js';

t.test('the redis helper starts a real server, restarts it on the same AOF and stops it', async (t) => {
  const server = await RedisServer.start();
  t.ok(await ping(server.port), 'answers PING');
  await server.kill();
  t.notOk(await ping(server.port), 'gone after kill');
  await server.restart();
  t.ok(await ping(server.port), 'answers again after restart');
  await server.stop();
  t.notOk(await ping(server.port), 'gone after stop');
});
