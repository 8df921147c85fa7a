// nginx in front of a system's nodes: the project's own template (nginx/nginx.conf, rendered by
// src/launcher/nginx.ts as `up` does), with the per-address limit off (every wrk connection is 127.0.0.1:
// limit_req would refuse the whole crowd as one client).
import { NginxProcess } from '../../test/helpers/nginx.js';

export interface Front {
  url: string;
  pid: number | undefined;
  stop(): Promise<void>;
}

export async function startFront(ports: number[], weights: number[], workerProcesses: number): Promise<Front> {
  const upstreams = ports.map((port, i) => ({ host: '127.0.0.1', port, weight: weights[i] ?? 1 }));
  const nginx = await NginxProcess.start({ upstreams, workerProcesses, ipRate: 0 });
  return { url: nginx.url, pid: nginx.pid, stop: () => nginx.stop() };
}
