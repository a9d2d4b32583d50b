import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';

/** Starts long-running test servers on loopback and stops them; output goes to a log only on failure. */

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export interface RunningServer {
  url: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
  output(): string;
}

export async function startServer(options: {
  name: string;
  command: string;
  args: string[];
  port: number;
  url: string;
  ready: () => Promise<boolean>;
  timeoutMs?: number;
}): Promise<RunningServer> {
  // A process group of its own: a SIGTERM to the main job's group (Docker, systemd, Ctrl-C) must not stop
  // Temporal or the emulator under a worker that is still draining. The owner stops it, last; if the
  // owner dies without doing so, the exit hook below still kills it.
  const child = spawn(options.command, options.args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  let output = '';
  child.stdout?.on('data', (chunk) => (output = (output + String(chunk)).slice(-20_000)));
  child.stderr?.on('data', (chunk) => (output = (output + String(chunk)).slice(-20_000)));
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (exited !== undefined) break;
    if (await options.ready().catch(() => false)) {
      return {
        url: options.url,
        port: options.port,
        process: child,
        output: () => output,
        stop: () => stopProcess(child),
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await stopProcess(child);
  throw new Error(
    `${options.name} did not start (${options.command} ${options.args.join(' ')}):\n${output.slice(-4000)}`,
  );
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export function httpReady(url: string): () => Promise<boolean> {
  return async () => {
    try {
      const response = await fetch(url);
      return response.status < 500;
    } catch {
      return false;
    }
  };
}
