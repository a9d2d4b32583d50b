import { requireBinary } from './binaries';
import { Connection } from '@temporalio/client';
import { freePort, startServer, type RunningServer } from './processes';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';

export interface DevServerOptions {
  /** gRPC port; a free one when omitted. */
  port?: number;
  /** Web UI port; no UI when omitted. */
  uiPort?: number;
  /** SQLite file for durable state across restarts; in memory when omitted. */
  dbFile?: string;
  dynamicConfig?: string[];
}

/** Starts `temporal server start-dev` on loopback with Least's search attributes registered. */
export async function startTemporalDevServer(options: DevServerOptions = {}): Promise<RunningServer> {
  const binary = requireBinary('temporal', 'LEAST_TEMPORAL_CLI');
  const port = options.port ?? (await freePort());
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'error'];
  args.push('--http-port', String(await freePort()), '--metrics-port', String(await freePort()));
  if (options.uiPort) args.push('--ui-port', String(options.uiPort));
  else args.push('--headless');
  if (options.dbFile) args.push('--db-filename', options.dbFile);
  for (const key of SEARCH_ATTRIBUTES) args.push('--search-attribute', `${key.name}=Keyword`);
  for (const value of options.dynamicConfig ?? []) args.push('--dynamic-config-value', value);
  return startServer({
    name: 'Temporal dev server',
    command: binary,
    args,
    port,
    url: `127.0.0.1:${port}`,
    ready: () => namespaceReady(`127.0.0.1:${port}`),
    timeoutMs: 90_000,
  });
}

/** The server is usable once the default namespace answers, not merely when the port opens. */
async function namespaceReady(address: string): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: 1000 });
  try {
    await connection.workflowService.describeNamespace({ namespace: 'default' });
    return true;
  } finally {
    await connection.close();
  }
}
