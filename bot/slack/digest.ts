import type { App } from '@slack/bolt';
import {
  DIGEST_CLEANUP_NOT_SET_UP,
  DIGEST_FINDINGS_NOT_SET_UP,
  digestApprovals,
  digestFindings,
  latestCleanup,
  latestCleanupWords,
  parseDigestTarget,
  type CleanupRunsReader,
  type LatestCleanup,
} from '../digest-flow';
import { drawFindings } from '../findings-flow';
import {
  DIGEST_BUTTON_MALFORMED,
  DIGEST_BUTTONS_PER_SECTION,
  DigestAction,
  slackDigestActionId,
  systemOf,
} from '../render/digest-buttons';
import {
  approvalsReply,
  findingsSummaryReply,
  identityCardReply,
  lookRefusedReply,
  noSuchIdentityReply,
  refusalReply,
  suppressRefusedReply,
} from '../render/slack';
import { message, section } from '../render/slack/blocks';
import { userLine } from '../render/slack/text';
import { onButton } from './button';
import { ephemeral, type SlackContext, type SlackMessage } from './context';

/**
 * The buttons on a digest in Slack (bot/render/digest-buttons.ts): Findings of a system, Approvals
 * waiting, a system's latest Cleanup run. Each click is verified by Bolt (signature and age), acked at
 * once and answered to the clicker alone (ephemeral); what they see is asked again for them
 * (bot/digest-flow.ts), and a forged value or a refused look is audited.
 */

export interface DigestButtonsOptions {
  /** Where the Cleanup button reads runs; without it the button says it is not set up. */
  cleanupRuns?: CleanupRunsReader;
}

export function registerDigestButtons(app: App, ctx: SlackContext, options: DigestButtonsOptions = {}): void {
  const system = (value: string, action: DigestAction) => {
    const target = parseDigestTarget(action, value);
    const id = target && systemOf(target);
    return id ? { system: id } : undefined;
  };

  const each = (action: DigestAction, register: (actionId: string) => void): void => {
    for (let index = 0; index < DIGEST_BUTTONS_PER_SECTION; index += 1) register(slackDigestActionId(action, index));
  };

  each(DigestAction.Findings, (actionId) =>
    onButton(
      app,
      ctx,
      actionId,
      {
        feature: 'digest findings',
        parse: (value) => system(value, DigestAction.Findings),
        malformed: DIGEST_BUTTON_MALFORMED,
        client: () => ctx.findings,
        notSetUp: DIGEST_FINDINGS_NOT_SET_UP,
      },
      async ({ client: findings, target, email, tell }) => {
        const result = await digestFindings(findings, target.system, email);
        await tell(
          ephemeral(
            drawFindings(result, {
              summary: findingsSummaryReply,
              identity: identityCardReply,
              lookRefused: lookRefusedReply,
              noSuchIdentity: noSuchIdentityReply,
              suppressRefused: suppressRefusedReply,
              refused: refusalReply,
            }),
          ),
        );
      },
    ),
  );

  each(DigestAction.Approvals, (actionId) =>
    onButton(
      app,
      ctx,
      actionId,
      {
        feature: 'digest approvals',
        parse: (value) => parseDigestTarget(DigestAction.Approvals, value),
        malformed: DIGEST_BUTTON_MALFORMED,
        client: () => ctx.access,
        notSetUp: '',
      },
      async ({ client: access, email, tell }) => {
        const states = await digestApprovals(access, email);
        const views = await Promise.all(states.map((state) => ctx.view(state)));
        await tell(ephemeral(approvalsReply(views, ctx.now())));
      },
    ),
  );

  each(DigestAction.Cleanup, (actionId) =>
    onButton(
      app,
      ctx,
      actionId,
      {
        feature: 'digest cleanup',
        parse: (value) => system(value, DigestAction.Cleanup),
        malformed: DIGEST_BUTTON_MALFORMED,
        client: () => options.cleanupRuns,
        notSetUp: DIGEST_CLEANUP_NOT_SET_UP,
      },
      async ({ client: runs, target, email, tell }) => {
        const result = await latestCleanup(
          { runs, policy: ctx.policy, externalGroups: () => ctx.access.externalGroups(), access: ctx.access },
          email,
          target.system,
          'slack',
        );
        await tell(ephemeral(latestCleanupReply(result)));
      },
    ),
  );
}

function latestCleanupReply(result: LatestCleanup): SlackMessage {
  if (result.kind === 'refused') return refusalReply(result.message);
  if (result.kind === 'none') {
    const text = `No cleanup run on \`${userLine(result.systemId, 64)}\` yet.`;
    return message(text, [section(text)]);
  }
  const words = latestCleanupWords(result.view);
  const title = `*${userLine(words.title, 150)}*`;
  return message(userLine(words.title, 150), [
    section([title, ...words.lines.map((l) => userLine(l, 500))].join('\n')),
  ]);
}
