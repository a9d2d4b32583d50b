import type { AlertMessage, PostedAlert } from '../../domain/alert/model';

/** What became of one alert message in one channel. */
export type AlertPosting =
  | { status: 'posted'; message: PostedAlert }
  | {
      status: 'undelivered';
      platform: 'slack' | 'teams';
      channel: string;
      /** What went wrong and what to do, for the log and the audit entry. */
      reason: string;
    };

/**
 * Posts a rule alert into one channel of one platform, and brings a posted one up to date. A channel
 * that refuses it for good (the bot is not in it, it was deleted, the app was removed) is an
 * `undelivered` answer, never a failure; a failure worth a retry (timeout, 5xx, rate limit) throws.
 */
export interface AlertPoster {
  readonly platform: 'slack' | 'teams';
  post(channel: string, alert: AlertMessage): Promise<AlertPosting>;
  update(posted: PostedAlert, alert: AlertMessage): Promise<void>;
}
