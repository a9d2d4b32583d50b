import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { PgStore } from '../../activities/store/pg-store';
import { buildActivities, slackClients, temporalUi } from '../../app/runtime';
import { loadConfig } from '../../app/config';
import { loadPolicyFile } from '../../app/policy-file';
import { alertWorkflowId, type AlertMessage } from '../../domain/alert/model';
import { FakeSlack } from '../support/fakes/fake-slack';
import { freshStore, type TestDatabase } from '../support/launch/database';
import { textOf } from '../support/stacks/slack-stack';

/**
 * The worker's alert posting as the main job wires it (buildActivities with Slack configured and the
 * UI from the configuration): a rule alert about a request reaches Slack with the link to the
 * request's workflow in Temporal's web UI.
 */

let fake: FakeSlack;
let db: TestDatabase;
let store: PgStore;

before(async () => {
  fake = await FakeSlack.start();
  ({ db, store } = await freshStore());
});

after(async () => {
  await fake?.stop();
  await db?.drop();
});

const ALERT: AlertMessage = {
  workflowId: alertWorkflowId('break-glass-used', 'payments-logs', 'least'),
  series: '0192f3a4-0000-7000-8000-000000000002',
  setup: {
    rule: 'break-glass-used',
    subject: 'payments-logs',
    severity: 'critical',
    title: 'Break-glass access used',
    targets: [{ platform: 'slack', channel: '#security-alerts' }],
    acknowledgers: ['sec@example.com'],
    acknowledgerGroups: [],
    everyone: false,
    throttleSeconds: 900,
    openForSeconds: 86_400,
  },
  episode: {
    number: 1,
    openedAt: '2026-12-02T09:00:00.000Z',
    lastAt: '2026-12-02T09:00:00.000Z',
    count: 1,
    lines: ['oncall@example.com took payments-logs for 30 min: INC-9 (r-abcdefghij)'],
    posted: [],
    undelivered: [],
  },
};

describe('rule alerts posted by the worker', () => {
  it('link the request to its workflow in the configured Temporal UI', async () => {
    const config = loadConfig({
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_NAMESPACE: 'least-prod',
      TEMPORAL_UI_URL: 'https://temporal.example.com',
    });
    const policy = loadPolicyFile('config/policy.example.yaml');
    const slack = slackClients(`xoxb-${randomBytes(8).toString('hex')}`, fake.apiUrl, () => policy);
    const ui = temporalUi(config);
    const built = buildActivities({ store, policy, slack, teams: undefined }, {}, ui ? { temporalUi: ui } : {});
    try {
      const delivery = await built.activities.postAlert(ALERT);
      assert.equal(delivery.posted.length, 1, JSON.stringify(delivery));
      const [message] = fake.messagesIn(delivery.posted[0]!.channel);
      assert.match(
        textOf(message!.blocks),
        /<https:\/\/temporal\.example\.com\/namespaces\/least-prod\/workflows\/r-abcdefghij\|r-abcdefghij>/,
      );
    } finally {
      await built.close();
    }
  });
});
