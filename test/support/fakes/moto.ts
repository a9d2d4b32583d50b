import { requireBinary } from '../../../app/embedded/binaries';
import { freePort, httpReady, startServer, type RunningServer } from '../../../app/embedded/processes';

export interface MotoOptions {
  /** Extra environment for this moto only, e.g. `{ MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' }`. */
  environment?: Record<string, string>;
}

/** Starts `moto_server` on a free loopback port. */
export async function startMoto(options: MotoOptions = {}): Promise<RunningServer> {
  const binary = requireBinary('moto_server', 'LEAST_MOTO_SERVER');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const serverArgs = ['-H', '127.0.0.1', '-p', String(port)];
  const assignments = Object.entries(options.environment ?? {}).map(([key, value]) => `${key}=${value}`);
  // `env` execs moto in its own place (same process id), so stopping the server still stops moto
  return startServer({
    name: 'moto server',
    command: assignments.length > 0 ? 'env' : binary,
    args: assignments.length > 0 ? [...assignments, binary, ...serverArgs] : serverArgs,
    port,
    url,
    ready: httpReady(`${url}/moto-api/`),
  });
}

/** Forgets everything moto holds; call before each test that needs a clean account. */
export async function resetMoto(url: string): Promise<void> {
  const response = await fetch(`${url}/moto-api/reset`, { method: 'POST' });
  if (!response.ok) throw new Error(`moto reset failed: ${response.status}`);
}
