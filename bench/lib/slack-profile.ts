/**
 * A CPU profile of this process (the bot, the worker's activities, the fake Web API) over one phase,
 * through the inspector: written as a `.cpuprofile` (open it in Chrome DevTools) and summed by owner
 * (a package under node_modules, or our folder) and by function, so the report says what the loop did.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  owners: [string, number][];
  functions: [string, number][];
}

export async function startProfile(): Promise<{ stop(file: string): Promise<ProfileSummary> }> {
  const session = new Session();
  session.connect();
  const post = <T>(method: string, params?: object): Promise<T> =>
    new Promise((resolve, reject) =>
      session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result as T))),
    );
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 500 });
  await post('Profiler.start');
  return {
    async stop(file) {
      const { profile } = await post<{ profile: CpuProfile }>('Profiler.stop');
      session.disconnect();
      writeFileSync(file, JSON.stringify(profile));
      return { file, ...summarise(profile) };
    },
  };
}

function ownerOf(url: string): string {
  if (!url) return '(native, gc, idle)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return 'node core';
  const ours = /\/work\/main\/([^/]+)\//.exec(url) ?? /\/([^/]+)\/[^/]+$/.exec(url);
  return ours ? `ours: ${ours[1]}` : url;
}

function summarise(profile: CpuProfile): Omit<ProfileSummary, 'file'> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const owners = new Map<string, number>();
  const functions = new Map<string, number>();
  let totalMs = 0;
  profile.samples.forEach((id, k) => {
    const frame = byId.get(id)!;
    const ms = (profile.timeDeltas[k] ?? 0) / 1000;
    totalMs += ms;
    if (frame.functionName === '(idle)') return;
    const owner = ownerOf(frame.url);
    owners.set(owner, (owners.get(owner) ?? 0) + ms);
    const where = frame.url
      ? `${frame.url.replace(/^.*\/(node_modules|work\/main)\//, '')}:${frame.lineNumber + 1}`
      : '';
    const key = `${frame.functionName || '(anonymous)'} ${where}`.trim();
    functions.set(key, (functions.get(key) ?? 0) + ms);
  });
  const top = (m: Map<string, number>, n: number): [string, number][] => [...m].sort((a, b) => b[1] - a[1]).slice(0, n);
  return { totalMs, owners: top(owners, 12), functions: top(functions, 15) };
}
