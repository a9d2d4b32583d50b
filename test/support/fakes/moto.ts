import { requireBinary } from '../../../app/embedded/binaries';
import { freePort, httpReady, startServer, type RunningServer } from '../../../app/embedded/processes';

/** Starts `moto_server` on a free loopback port. */
export async function startMoto(): Promise<RunningServer> {
  const binary = requireBinary('moto_server', 'LEAST_MOTO_SERVER');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  return startServer({
    name: 'moto server',
    command: binary,
    args: ['-H', '127.0.0.1', '-p', String(port)],
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
