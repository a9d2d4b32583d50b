import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { App, HTTPReceiver } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import type { Policy } from '../../domain/policy/schema';
import type { AccessClient } from '../access-client';
import type { AlertClient } from '../alert-client';
import type { CleanupClient } from '../cleanup-client';
import type { FindingsClient } from '../findings-client';
import type { ReportDesk } from '../report-flow';
import { rejectionAuditor, type RejectionRecorder } from '../rejections';
import { registerActions } from './actions';
import { registerAlerts } from './alerts';
import { registerCleanup } from './cleanup';
import { registerDigestButtons } from './digest';
import type { CleanupRunsReader } from '../digest-flow';
import type { SlackContext } from './context';
import { SlackDirectory } from './directory';
import { registerFindings } from './findings';
import { registerHome } from './home';
import { registerRequestForm } from './request-form';
import { registerSlashCommand } from './slash-command';
import { AuditAction } from '../../domain/audit';
import { viewBuilder } from '../render/view';
import { SLACK_LOG_LEVELS, slackClientOptions, slackJsonLogger, type SlackLogLevel } from './client-options';
import { SLACK_EVENTS_PATH } from '../chat-routes';

export interface SlackFrontEndOptions {
  botToken: string;
  signingSecret: string;
  /** An app-level token (xapp-…) switches to Socket Mode: no public URL needed. */
  appToken?: string;
  /** Web API base URL; only tests and emulators change it. */
  apiUrl?: string;
  access: AccessClient;
  /** `/access findings`, its buttons and App Home's Findings section; without it `findings` says it is not set up. */
  findings?: FindingsClient;
  /** The cleanup buttons (Keep, Remove now, Snooze, Show diff, Restore); without it they say it is not set up. */
  cleanup?: CleanupClient;
  /** Acknowledge on rule alerts; without it the button says alerts are not set up. */
  alerts?: AlertClient;
  /** Cleanup runs for a digest's Cleanup buttons; without it they say it is not set up. */
  cleanupRuns?: CleanupRunsReader;
  /** `/access report …`: built, authorized and uploaded; without it `report` says it is not set up. */
  reports?: ReportDesk;
  policy: () => Policy;
  /** Answer Slack only after the handler finished (serverless hosts); a long-running server acks first. */
  processBeforeResponse?: boolean;
  /** Shared with the access client (Slack user groups) and the notifier; built here when absent. */
  directory?: SlackDirectory;
  client?: WebClient;
  now?: () => Date;
  /** The least severe of Bolt's and the Web API client's lines that are written (JSON lines). Default `info`. */
  logLevel?: SlackLogLevel;
}

export interface SlackFrontEnd {
  app: App;
  client: WebClient;
  directory: SlackDirectory;
  /** The HTTP handler for `/slack/events` (absent in Socket Mode). */
  requestListener?: RequestListener;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * `convoStore: false`: Bolt's default conversation store is never read here, and on every event it
 * looks the conversation up and fails with a new Error (stack and all) before any listener runs.
 */
export function createSlackFrontEnd(options: SlackFrontEndOptions): SlackFrontEnd {
  const logLevel = options.logLevel ?? 'info';
  // Bolt, its receiver and the Web API clients share one logger at one level (Bolt hands its logger on).
  const logger = slackJsonLogger(SLACK_LOG_LEVELS[logLevel]);
  const clientOptions = { ...slackClientOptions(options.apiUrl), logger };
  let receiver: HTTPReceiver | undefined;
  let app: App;
  if (options.appToken) {
    // The socket client opens its connection with its own Web API client: same base URL and retries.
    app = new App({
      token: options.botToken,
      appToken: options.appToken,
      socketMode: true,
      clientOptions,
      installerOptions: { clientOptions },
      logger,
      logLevel: SLACK_LOG_LEVELS[logLevel],
      convoStore: false,
    });
  } else {
    receiver = new HTTPReceiver({
      signingSecret: options.signingSecret,
      endpoints: SLACK_EVENTS_PATH,
      processBeforeResponse: options.processBeforeResponse ?? false,
      logger,
      // Nothing Slack sends is near this; a bigger body is refused before it is parsed.
      bodyLimit: 256 * 1024,
    });
    app = new App({
      token: options.botToken,
      receiver,
      clientOptions,
      logger,
      logLevel: SLACK_LOG_LEVELS[logLevel],
      convoStore: false,
    });
  }
  const client = options.client ?? new WebClient(options.botToken, clientOptions);
  const directory = options.directory ?? new SlackDirectory({ client, policy: options.policy });
  const ctx: SlackContext = {
    access: options.access,
    ...(options.findings ? { findings: options.findings } : {}),
    ...(options.cleanup ? { cleanup: options.cleanup } : {}),
    ...(options.alerts ? { alerts: options.alerts } : {}),
    ...(options.reports ? { reports: options.reports } : {}),
    directory,
    policy: options.policy,
    client,
    now: options.now ?? (() => new Date()),
    log: (level, msg, extra = {}) => console.log(JSON.stringify({ level, component: 'slack', msg, ...extra })),
    view: viewBuilder('slack', {
      policy: options.policy,
      requestsOf: (requester, limit) => options.access.recent(requester, limit),
      // A directory failure costs the mention, not the answer.
      userIdOf: (email) => directory.userIdOf(email).catch(() => undefined),
    }),
  };
  registerSlashCommand(app, ctx);
  registerRequestForm(app, ctx);
  registerActions(app, ctx);
  registerFindings(app, ctx);
  registerCleanup(app, ctx);
  registerAlerts(app, ctx);
  registerDigestButtons(app, ctx, options.cleanupRuns ? { cleanupRuns: options.cleanupRuns } : {});
  registerHome(app, ctx);
  app.error(async (error) => {
    ctx.log('error', 'slack handler failed', { code: (error as { code?: string }).code, error: error.message });
    return Promise.resolve();
  });

  const rejected = rejectionAuditor(options.access, 'slack:unverified', AuditAction.SlackRequestRejected, {
    platform: 'slack',
    reason: 'signature or timestamp did not verify',
  });
  return {
    app,
    client,
    directory,
    ...(receiver ? { requestListener: auditedRejections(receiver.requestListener, rejected) } : {}),
    start: async () => {
      if (options.appToken) await app.start();
    },
    stop: async () => {
      if (options.appToken) await app.stop();
      await rejected.close();
    },
  };
}

/** Bolt answers a forged or stale request with 401 and only logs it; it is audited here too. */
function auditedRejections(listener: RequestListener, rejected: RejectionRecorder): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    res.on('finish', () => {
      if (res.statusCode === 401) rejected();
    });
    listener(req, res);
  };
}
