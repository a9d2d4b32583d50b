import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FileLinkSigner } from '../../bot/file-links';
import { dispositionName } from '../../bot/file-route';

/** The link signer by value: what a link looks like, and every way a changed link stops working. */

const KEYS = { secret: 'unit-test-link-secret-0123456789abcdefghijkl', baseUrl: 'https://least.example.com/' };
const ID = 'AbCdEfGhIjKlMnOpQrStUv';
const NOW = new Date('2026-12-02T03:00:00Z');
const LATER = new Date('2026-12-03T03:00:00Z');

function parts(link: string): { id: string; exp: string | null; sig: string | null } {
  const url = new URL(link);
  return {
    id: url.pathname.slice('/files/'.length),
    exp: url.searchParams.get('exp'),
    sig: url.searchParams.get('sig'),
  };
}

describe('FileLinkSigner', () => {
  const signer = new FileLinkSigner(KEYS);

  it('makes <base>/files/<id>?exp=<unix>&sig=<base64url HMAC> and verifies it until it expires', () => {
    const link = signer.link(ID, LATER);
    assert.match(
      link,
      /^https:\/\/least\.example\.com\/files\/AbCdEfGhIjKlMnOpQrStUv\?exp=1796266800&sig=[A-Za-z0-9_-]{43}$/,
    );
    const { id, exp, sig } = parts(link);
    assert.equal(signer.verify(id, exp, sig, NOW), true);
    assert.equal(signer.verify(id, exp, sig, LATER), false, 'not at the expiry itself');
    assert.equal(signer.link(ID, LATER), link, 'the same file and expiry give the same link');
  });

  it('refuses any change to the id, the expiry or the signature, and another key', () => {
    const { id, exp, sig } = parts(signer.link(ID, LATER));
    const flipped = `${sig!.slice(0, 10)}${sig![10] === 'A' ? 'B' : 'A'}${sig!.slice(11)}`;
    assert.equal(signer.verify(`${id.slice(0, -1)}w`, exp, sig, NOW), false, 'another file');
    assert.equal(signer.verify(id, String(Number(exp) + 1), sig, NOW), false, 'a longer life');
    assert.equal(signer.verify(id, exp, flipped, NOW), false, 'a changed signature');
    assert.equal(signer.verify(id, exp, `${sig}A`, NOW), false, 'a longer signature');
    assert.equal(signer.verify(id, null, sig, NOW), false);
    assert.equal(signer.verify(id, exp, null, NOW), false);
    assert.equal(signer.verify(id, `${exp}.0`, sig, NOW), false);
    assert.equal(signer.verify('../etc/passwd', exp, sig, NOW), false);
    const other = new FileLinkSigner({ ...KEYS, secret: `${KEYS.secret}!` });
    assert.equal(other.verify(id, exp, sig, NOW), false);
  });
});

describe('dispositionName', () => {
  it('keeps quotes, semicolons and non-ASCII out of the plain name and gives the exact one in RFC 5987 form', () => {
    assert.equal(
      dispositionName('report "x"; ü(1).html'),
      `filename="report _x__ _(1).html"; filename*=UTF-8''report%20%22x%22%3B%20%C3%BC%281%29.html`,
    );
    assert.ok(!dispositionName('a\r\nSet-Cookie: x=1.html').includes('\n'));
  });
});
