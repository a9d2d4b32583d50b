import { LogLevel, type Logger, type WebClientOptions } from '@slack/web-api';

/**
 * The Web API client's settings, apart from Bolt: the worker posts through `@slack/web-api` alone and
 * never loads Bolt, which only the bot's front end needs.
 */

export type SlackLogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Bolt and the Web API client share @slack/logger's levels. */
export const SLACK_LOG_LEVELS: Record<SlackLogLevel, LogLevel> = {
  debug: LogLevel.DEBUG,
  info: LogLevel.INFO,
  warn: LogLevel.WARN,
  error: LogLevel.ERROR,
};

/**
 * Retries inside one call stay short: a slash command has 3 seconds, and activities have their own retries.
 * The client logs JSON lines at `logLevel` (errors only unless told otherwise).
 */
export function slackClientOptions(apiUrl?: string, logLevel: SlackLogLevel = 'error'): WebClientOptions {
  return {
    ...(apiUrl ? { slackApiUrl: apiUrl } : {}),
    retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 2000 },
    // The logger carries the level: a client given both ignores `logLevel`.
    logger: slackJsonLogger(SLACK_LOG_LEVELS[logLevel]),
  };
}

/** Bolt's and the Web API client's logs as JSON lines like the rest of the process; neither logs tokens or signatures. */
export function slackJsonLogger(initial: LogLevel): Logger {
  let level = initial;
  const write = (name: string, args: unknown[]) =>
    console.log(
      JSON.stringify({
        level: name,
        component: 'slack',
        msg: args.map((a) => (typeof a === 'string' ? a : String(a))).join(' '),
      }),
    );
  const order = [LogLevel.DEBUG, LogLevel.INFO, LogLevel.WARN, LogLevel.ERROR];
  const enabled = (name: LogLevel) => order.indexOf(name) >= order.indexOf(level);
  return {
    debug: (...args: unknown[]) => enabled(LogLevel.DEBUG) && write('debug', args),
    info: (...args: unknown[]) => enabled(LogLevel.INFO) && write('info', args),
    warn: (...args: unknown[]) => enabled(LogLevel.WARN) && write('warn', args),
    error: (...args: unknown[]) => enabled(LogLevel.ERROR) && write('error', args),
    setLevel: (next: LogLevel) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => undefined,
  } as Logger;
}
