import { CloudAdapter, type AuthConfiguration } from '@microsoft/agents-hosting';

/** The bot's Entra app registration. Without an app id the bot runs unauthenticated, for local development only. */
export interface TeamsCredentials {
  appId?: string;
  appPassword?: string;
  tenantId?: string;
}

/**
 * The adapter for an app registration, or the SDK's anonymous mode when there is none. The SDK also
 * reads its own env keys; the explicit id here wins, so what Least was configured with is what runs.
 * Its own module, apart from the front end, so the worker's Teams posters load the SDK only when Teams is on.
 */
export function teamsAdapter(credentials: TeamsCredentials): CloudAdapter {
  // With an app id, an activity whose service URL differs from the token's is refused, not just logged.
  const options = { validateServiceUrl: Boolean(credentials.appId) };
  const config: AuthConfiguration = credentials.appId
    ? {
        clientId: credentials.appId,
        ...(credentials.appPassword ? { clientSecret: credentials.appPassword } : {}),
        ...(credentials.tenantId ? { tenantId: credentials.tenantId } : {}),
      }
    : { clientId: '' };
  return new CloudAdapter(config, undefined, undefined, options);
}
