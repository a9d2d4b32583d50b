import type { ChartLinks } from '../activities/chat/teams-digest-poster';
import { FileLinkSigner } from '../bot/file-links';
import { expiryOf, type SharedFiles } from '../domain/shared-file';
import type { LinksConfig } from './config';

/** The signer for the configured secret and public URL. */
export function fileLinkSigner(links: LinksConfig): FileLinkSigner {
  return new FileLinkSigner({ secret: links.secret, baseUrl: links.publicUrl });
}

/** Digest pictures stored by the worker and linked for the chart lifetime; the bot serves them. */
export function chartLinks(files: SharedFiles, links: LinksConfig, now: () => Date = () => new Date()): ChartLinks {
  const signer = fileLinkSigner(links);
  return {
    async share({ png, filename }) {
      const stored = await files.put({
        contentType: 'image/png',
        filename,
        body: png,
        createdBy: 'workflow',
        purpose: 'chart',
        expiresAt: expiryOf(now(), links.chartSeconds),
      });
      return signer.link(stored.id, stored.expiresAt);
    },
  };
}
