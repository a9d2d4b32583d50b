import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PgStore } from '../../../activities/store/pg-store';
import { freshStore, type TestDatabase } from '../../support/launch/database';

/** Teams conversation references in PostgreSQL: what lets Least reach a person or channel later. */

let db: TestDatabase;
let store: PgStore;

before(async () => {
  ({ db, store } = await freshStore());
});
after(async () => {
  await db?.drop();
});

const reference = (conversationId: string, serviceUrl = 'https://smba.trafficmanager.net/emea/') => ({
  channelId: 'msteams',
  serviceUrl,
  conversation: { id: conversationId },
  agent: { id: '28:bot' },
});

describe('Teams conversations', () => {
  test('a person is found by e-mail, whatever its case; a newer install replaces the reference', async () => {
    await store.saveTeamsConversation({
      kind: 'personal',
      aadObjectId: 'AAAA-1',
      email: 'Ada@Example.com',
      conversationId: 'a:1',
      reference: reference('a:1'),
    });
    assert.equal((await store.teamsConversationOf('ada@example.COM'))?.conversationId, 'a:1');
    await store.saveTeamsConversation({
      kind: 'personal',
      aadObjectId: 'aaaa-1',
      conversationId: 'a:2',
      reference: reference('a:2', 'https://smba.trafficmanager.net/amer/'),
    });
    const found = await store.teamsConversationOf('ada@example.com');
    assert.equal(found?.conversationId, 'a:2', 'same person (object id in any case), one row, newest reference');
    assert.equal(found?.email, 'ada@example.com', 'an install without an e-mail keeps the one known');
    assert.equal((found?.reference as { serviceUrl: string }).serviceUrl, 'https://smba.trafficmanager.net/amer/');
    assert.equal(await store.teamsConversationOf('nobody@example.com'), undefined);
  });

  test('a channel is found by its conversation id, never as a person', async () => {
    await store.saveTeamsConversation({
      kind: 'channel',
      conversationId: '19:abc@thread.tacv2',
      reference: reference('19:abc@thread.tacv2'),
    });
    assert.equal((await store.teamsChannel('19:abc@thread.tacv2'))?.kind, 'channel');
    assert.equal(await store.teamsChannel('19:other@thread.tacv2'), undefined);
    const rows = await db.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM teams_conversations WHERE kind = 'personal'`,
    );
    assert.equal(rows.rows[0]!.n, '1');
  });
});
