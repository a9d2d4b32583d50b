import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP front for the emulator that swaps identifiers both ways: the policy names permission sets
 * and directory users by the ids a real account would have, the emulator makes up its own. Requests
 * carry the policy's ids in, answers carry them back out, so the worker never sees the difference.
 */
export interface TranslatingFront {
  url: string;
  close(): Promise<void>;
}

/** `aliases` maps an id as the policy writes it to the id the emulator gave the same thing. */
export async function startTranslatingFront(target: string, aliases: Map<string, string>): Promise<TranslatingFront> {
  const inward = substitutions(aliases);
  const outward = substitutions(new Map([...aliases].map(([policyId, emulatorId]) => [emulatorId, policyId])));
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = inward(Buffer.concat(chunks).toString('utf8'));
      const headers = Object.fromEntries(
        Object.entries(request.headers).filter(
          ([name, value]) => typeof value === 'string' && !['host', 'content-length', 'connection'].includes(name),
        ),
      ) as Record<string, string>;
      fetch(`${target}${inward(request.url ?? '/')}`, {
        method: request.method,
        headers,
        ...(body && request.method !== 'GET' && request.method !== 'HEAD' ? { body } : {}),
      })
        .then(async (upstream) => {
          const text = outward(await upstream.text());
          const kept: Record<string, string> = {};
          for (const name of ['content-type', 'x-amzn-errortype', 'x-amzn-requestid', 'x-amz-request-id']) {
            const value = upstream.headers.get(name);
            if (value) kept[name] = value;
          }
          response.writeHead(upstream.status, kept).end(text);
        })
        .catch((error: Error) => response.writeHead(502, { 'content-type': 'text/plain' }).end(error.message));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Replaces each key by its value, as written and percent-encoded (query-protocol bodies encode `:` and `/`). */
function substitutions(map: Map<string, string>): (text: string) => string {
  const pairs: [string, string][] = [];
  for (const [from, to] of map) {
    pairs.push([from, to]);
    if (encodeURIComponent(from) !== from) pairs.push([encodeURIComponent(from), encodeURIComponent(to)]);
  }
  pairs.sort((a, b) => b[0].length - a[0].length); // longest first: an id may contain a shorter one
  return (text) => pairs.reduce((result, [from, to]) => result.split(from).join(to), text);
}
