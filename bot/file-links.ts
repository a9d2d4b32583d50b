import { createHmac, timingSafeEqual } from 'node:crypto';
import { SHARED_FILE_ID } from '../domain/shared-file';

/**
 * Signed, expiring links to the files the bot serves: `<base>/files/<id>?exp=<unix seconds>&sig=<…>`,
 * where `sig` is HMAC-SHA256 over the id and the expiry with a secret only Least's processes know,
 * base64url. A link cannot be stretched (the expiry is signed) or pointed at another file (so is the id).
 */

export const FILES_PATH = '/files/';

/** The secret's shortest accepted length (config refuses shorter ones). */
export const MIN_LINK_SECRET_LENGTH = 32;

export interface FileLinkKeys {
  /** Never logged, never put in a message. */
  secret: string;
  /** The bot's public base URL, e.g. https://least.example.com (no trailing slash needed). */
  baseUrl: string;
}

/** Signs links to shared files. */
export class FileLinkSigner {
  private readonly base: string;

  constructor(private readonly keys: FileLinkKeys) {
    this.base = keys.baseUrl.replace(/\/+$/, '');
  }

  /** A link to the file that stops working at `expiresAt` (rounded down to the second). */
  link(id: string, expiresAt: string | Date): string {
    const exp = Math.floor(new Date(expiresAt).getTime() / 1000);
    return `${this.base}${FILES_PATH}${encodeURIComponent(id)}?exp=${exp}&sig=${signature(this.keys.secret, id, exp)}`;
  }

  /**
   * Whether a link's id, expiry and signature hold at `now`. Any bad part answers false, and nothing
   * tells which: the server answers all of them alike.
   */
  verify(id: string, exp: string | null, sig: string | null, now: Date): boolean {
    if (!SHARED_FILE_ID.test(id) || exp === null || sig === null) return false;
    if (!/^\d{1,12}$/.test(exp) || !/^[A-Za-z0-9_-]{43}$/.test(sig)) return false;
    const expected = Buffer.from(signature(this.keys.secret, id, Number(exp)), 'utf8');
    const given = Buffer.from(sig, 'utf8');
    const genuine = expected.length === given.length && timingSafeEqual(expected, given);
    return genuine && Number(exp) * 1000 > now.getTime();
  }
}

function signature(secret: string, id: string, exp: number): string {
  return createHmac('sha256', secret).update(`${id}\n${exp}`).digest('base64url');
}
