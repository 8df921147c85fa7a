import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy between the nodes and Redis, for one fault: a Redis reply that never arrives. When armed,
 * the reply to the next request that matches is swallowed, and that connection pair is cut
 * `holdMs` later (past the nodes' command deadline): the node cannot know whether its script ran. Cutting
 * the pair keeps the RESP framing sane — a half-delivered stream would desynchronise the client.
 */
export class DropProxy {
  private readonly pairs = new Set<{ client: Socket; upstream: Socket }>();
  private armed = 0;
  private match = Buffer.alloc(0);
  dropped = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number, holdMs: number): Promise<DropProxy> {
    let proxy: DropProxy | undefined;
    const server = createServer((client) => proxy!.accept(client, targetPort, holdMs));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy: no port');
    proxy = new DropProxy(server, address.port);
    return proxy;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Drops the replies to the next `count` requests whose bytes contain `match` (e.g. a buyer-name prefix,
   *  so the dropped reply is a purchase batch's, not a status read's). */
  dropNextReply(count: number, match: string): void {
    this.armed += count;
    this.match = Buffer.from(match);
  }

  private accept(client: Socket, targetPort: number, holdMs: number): void {
    const upstream = connect(targetPort, '127.0.0.1');
    const pair = { client, upstream };
    this.pairs.add(pair);
    let swallowing = false;
    let dropNext = false;
    const close = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    // Requests keep flowing after a swallowed reply: they run, and their replies are lost too (the hard case).
    client.on('data', (chunk: Buffer) => {
      if (this.armed > 0 && !dropNext && chunk.includes(this.match)) {
        this.armed--;
        dropNext = true;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (swallowing) return;
      if (dropNext) {
        this.dropped++;
        swallowing = true;
        setTimeout(close, holdMs).unref();
        return;
      }
      client.write(chunk);
    });
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
  }

  async stop(): Promise<void> {
    for (const pair of this.pairs) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
