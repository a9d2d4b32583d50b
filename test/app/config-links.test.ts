import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../app/config';

const SECRET = 'config-links-secret-0123456789abcdefghijkl';

describe('signed link configuration', () => {
  it('is off without LEAST_LINK_SECRET and BOT_PUBLIC_URL, on with both, with the lifetimes', () => {
    assert.equal(loadConfig({}).links, undefined);
    assert.deepEqual(loadConfig({ LEAST_LINK_SECRET: SECRET, BOT_PUBLIC_URL: 'https://least.example.com' }).links, {
      secret: SECRET,
      publicUrl: 'https://least.example.com',
      reportSeconds: 24 * 3600,
      chartSeconds: 7 * 86_400,
    });
    const custom = loadConfig({
      LEAST_LINK_SECRET: SECRET,
      BOT_PUBLIC_URL: 'https://least.example.com/bot',
      REPORT_LINK_HOURS: '2',
      CHART_LINK_DAYS: '30',
    }).links;
    assert.deepEqual([custom?.reportSeconds, custom?.chartSeconds], [7200, 30 * 86_400]);
  });

  it('stops with a message naming the missing half, a short secret or a bad URL, never showing the secret', () => {
    const problem = (env: Record<string, string>): string => {
      try {
        loadConfig(env);
      } catch (error) {
        assert.ok(error instanceof ConfigError);
        return error.message;
      }
      return assert.fail('the configuration was accepted');
    };
    assert.match(
      problem({ LEAST_LINK_SECRET: SECRET }),
      /BOT_PUBLIC_URL: expected .*LEAST_LINK_SECRET is set without it/,
    );
    assert.match(problem({ BOT_PUBLIC_URL: 'https://least.example.com' }), /LEAST_LINK_SECRET: expected/);
    const short = problem({ LEAST_LINK_SECRET: 'short-secret-value', BOT_PUBLIC_URL: 'https://x.example' });
    assert.match(short, /LEAST_LINK_SECRET: expected a random secret of at least 32 characters .*\(got \[hidden\]\)/);
    assert.ok(!short.includes('short-secret-value'));
    assert.match(problem({ LEAST_LINK_SECRET: SECRET, BOT_PUBLIC_URL: 'ftp://x.example' }), /BOT_PUBLIC_URL/);
    assert.match(problem({ LEAST_LINK_SECRET: SECRET, BOT_PUBLIC_URL: 'https://x.example/?a=1' }), /without a query/);
    assert.match(problem({ REPORT_LINK_HOURS: '0' }), /REPORT_LINK_HOURS: expected a whole number from 1 to 168/);
  });
});
