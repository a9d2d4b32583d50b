import type { RequestListener } from 'node:http';
import type { CloudAdapter, TurnContext } from '@microsoft/agents-hosting';
import type { Policy } from '../../domain/policy/schema';
import type { AccessClient } from '../access-client';
import type { AlertClient } from '../alert-client';
import type { CleanupClient } from '../cleanup-client';
import type { FindingsClient } from '../findings-client';
import type { ReportDesk } from '../report-flow';
import { FILE_CONSENT_INVOKE, onFileConsent } from './report';
import { rejectionAuditor } from '../rejections';
import { onCardAction } from './actions';
import { onDigestCardAction } from './digest';
import type { CleanupRunsReader } from '../digest-flow';
import type { RequesterFindings, TeamsContext, TeamsConversationStore } from './context';
import { TeamsDirectory } from './directory';
import { teamsRequestListener } from './http';
import { teamsAdapter, type TeamsCredentials } from './adapter';
import { onInstalled, onMessage, onRemoved } from './messages';
import { AuditAction } from '../../domain/audit';
import { viewBuilder } from '../render/view';

export interface TeamsFrontEndOptions extends TeamsCredentials {
  access: AccessClient;
  /** `findings …` and its card verbs; without it `findings` says it is not set up. */
  findings?: FindingsClient;
  /** The cleanup card verbs (Keep, Remove now, Snooze, Show diff, Restore); without it they say it is not set up. */
  cleanup?: CleanupClient;
  /** Acknowledge on rule alerts; without it the button says alerts are not set up. */
  alerts?: AlertClient;
  /** The requester's standing on the approver's refreshed card; without it the card has no such section. */
  requesterFindings?: RequesterFindings;
  /** Cleanup runs for a digest's Cleanup buttons; without it they say it is not set up. */
  cleanupRuns?: CleanupRunsReader;
  /** `access report …`: a file in a personal chat, a signed link elsewhere; without it `report` says it is not set up. */
  reports?: ReportDesk;
  policy: () => Policy;
  conversations: TeamsConversationStore;
  now?: () => Date;
}

export interface TeamsFrontEnd {
  adapter: CloudAdapter;
  /** The HTTP handler for `/api/messages`. */
  requestListener: RequestListener;
  /** True when no app id is configured: every request is accepted without a token. */
  anonymous: boolean;
  /** Writes the last window of rejected requests to the audit log. */
  stop(): Promise<void>;
}

export function createTeamsFrontEnd(options: TeamsFrontEndOptions): TeamsFrontEnd {
  const adapter = teamsAdapter(options);
  const log: TeamsContext['log'] = (level, msg, extra = {}) =>
    console.log(JSON.stringify({ level, component: 'teams', msg, ...extra }));
  const ctx: TeamsContext = {
    access: options.access,
    ...(options.findings ? { findings: options.findings } : {}),
    ...(options.cleanup ? { cleanup: options.cleanup } : {}),
    ...(options.alerts ? { alerts: options.alerts } : {}),
    ...(options.requesterFindings ? { requesterFindings: options.requesterFindings } : {}),
    ...(options.reports ? { reports: options.reports } : {}),
    directory: new TeamsDirectory({ policy: options.policy, connectorKey: adapter.ConnectorClientKey }),
    conversations: options.conversations,
    policy: options.policy,
    now: options.now ?? (() => new Date()),
    log,
    // Teams cards mention nobody by id unless they asked in Teams: no directory look-up.
    view: viewBuilder('teams', {
      policy: options.policy,
      requestsOf: (requester, limit) => options.access.recent(requester, limit),
    }),
  };
  // The SDK's default answers a failed turn with "fix the source code"; people get a reference instead.
  adapter.onTurnError = async (context, error) => {
    log('error', 'teams turn failed', { error: String(error) });
    await Promise.resolve(context);
  };
  const logic = async (context: TurnContext): Promise<void> => {
    const activity = context.activity;
    switch (activity.type) {
      case 'message':
        await onMessage(ctx, context);
        return;
      case 'invoke':
        if (activity.name === FILE_CONSENT_INVOKE) {
          await onFileConsent(ctx, context);
          await context.sendActivity({ type: 'invokeResponse', value: { status: 200 } } as never);
          return;
        }
        if (activity.name === 'adaptiveCard/action') {
          const digest = options.cleanupRuns ? { cleanupRuns: options.cleanupRuns } : {};
          const body = (await onDigestCardAction(ctx, context, digest)) ?? (await onCardAction(ctx, context));
          await context.sendActivity({ type: 'invokeResponse', value: { status: 200, body } } as never);
        }
        return;
      case 'installationUpdate':
        if (activity.action === 'add' || activity.action === 'add-upgrade') await onInstalled(ctx, context);
        if (activity.action === 'remove' || activity.action === 'remove-upgrade') await onRemoved(ctx, context);
        return;
      case 'conversationUpdate': {
        // Teams announces the bot itself as a new member when it is added to a team or chat.
        const botAdded = (activity.membersAdded ?? []).some((member) => member.id === activity.recipient?.id);
        if (botAdded && activity.conversation?.conversationType !== 'personal') await onInstalled(ctx, context);
        return;
      }
      default:
        return;
    }
  };
  const rejected = rejectionAuditor(options.access, 'teams:unverified', AuditAction.TeamsRequestRejected, {
    platform: 'teams',
    reason: 'no valid Bot Framework token',
  });
  const requestListener = teamsRequestListener(adapter, logic, {
    onRejected: (status) => {
      if (status === 401) rejected();
    },
    onError: (error) => log('error', 'teams request failed', { error: String(error) }),
    loopbackOnly: !options.appId,
  });
  // The last window of rejections reaches the audit log when the bot stops.
  return { adapter, requestListener, anonymous: !options.appId, stop: () => rejected.close() };
}
