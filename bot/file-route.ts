import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { SharedFile, SharedFiles } from '../domain/shared-file';
import { FILES_PATH, type FileLinkSigner } from './file-links';

/**
 * `GET /files/<id>?exp=…&sig=…`: a shared file, only through a link Least signed and only until it
 * expires. A bad or expired link is 403 whichever part failed; a good link to a file that is gone is
 * 404. Reports leave as attachments and never render on the bot's origin (a CSP that forbids
 * everything, in a sandbox); chart pictures are shown inline. Nothing is cached along the way.
 */
export function sharedFileListener(deps: {
  files: Pick<SharedFiles, 'get'>;
  signer: FileLinkSigner;
  now?: () => Date;
  log?: (level: 'info' | 'warn' | 'error', msg: string, extra?: Record<string, unknown>) => void;
}): RequestListener {
  const now = deps.now ?? (() => new Date());
  return (req: IncomingMessage, res: ServerResponse) => {
    void serve(req, res).catch((error: unknown) => {
      deps.log?.('error', 'shared file not served', { error: String(error) });
      if (!res.headersSent) plain(res, 500, 'internal error');
      else res.destroy();
    });
  };

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', ...COMMON_HEADERS }).end();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://bot.invalid');
    const id = url.pathname.startsWith(FILES_PATH) ? url.pathname.slice(FILES_PATH.length) : '';
    if (!deps.signer.verify(id, url.searchParams.get('exp'), url.searchParams.get('sig'), now())) {
      plain(res, 403, 'This link is not valid (it may have expired). Ask Least for a new one.');
      return;
    }
    const file = await deps.files.get(id);
    if (!file) {
      plain(res, 404, 'This file is no longer kept. Ask Least for a new one.');
      return;
    }
    res.writeHead(200, fileHeaders(file));
    res.end(req.method === 'HEAD' ? undefined : Buffer.from(file.body));
  }
}

const COMMON_HEADERS = {
  'x-content-type-options': 'nosniff',
  'cache-control': 'private, no-store',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  // Nothing served here may run or load anything, should a browser render it after all.
  'content-security-policy': "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox",
} as const;

function fileHeaders(file: SharedFile): Record<string, string | number> {
  const report = file.purpose === 'report';
  const contentType = file.contentType.startsWith('text/') ? `${file.contentType}; charset=utf-8` : file.contentType;
  return {
    ...COMMON_HEADERS,
    'content-type': contentType,
    'content-length': file.body.byteLength,
    'content-disposition': `${report ? 'attachment' : 'inline'}; ${dispositionName(file.filename)}`,
  };
}

/** A plain ASCII name for old clients and the exact name (RFC 5987) for the rest; no quotes or controls survive. */
export function dispositionName(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\;%]/g, '_').slice(0, 150) || 'file';
  return `filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename.slice(0, 150)).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { ...COMMON_HEADERS, 'content-type': 'text/plain; charset=utf-8' }).end(text);
}
