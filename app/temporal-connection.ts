import type { TLSConfig } from '@temporalio/client';
import type { Config, TemporalAccessConfig } from './config';

/** The address the embedded dev server listens on, and where the CLI looks when none is configured. */
export const EMBEDDED_TEMPORAL_ADDRESS = '127.0.0.1:7233';

/**
 * What every connection to Temporal is opened with — the bot's and CLI's client, the worker's native
 * connection, readiness through the client — so Temporal Cloud's API key or mTLS applies to all of them
 * alike. The same shape suits `Connection.connect` and `NativeConnection.connect`.
 */
export interface TemporalConnectionOptions {
  address: string;
  tls?: TLSConfig | true;
  apiKey?: string;
}

export function temporalConnectionOptions(
  config: Pick<Config, 'temporalAddress' | 'temporalAccess'>,
): TemporalConnectionOptions {
  const access: TemporalAccessConfig = config.temporalAccess;
  return {
    address: config.temporalAddress ?? EMBEDDED_TEMPORAL_ADDRESS,
    ...(access.tls ? { tls: tlsOf(access) } : {}),
    ...(access.apiKey ? { apiKey: access.apiKey } : {}),
  };
}

/** `true` (the system's roots, the address's host name) unless something was configured beyond that. */
function tlsOf(access: TemporalAccessConfig): TLSConfig | true {
  const tls: TLSConfig = {
    ...(access.serverName ? { serverNameOverride: access.serverName } : {}),
    ...(access.serverRootCa ? { serverRootCACertificate: access.serverRootCa } : {}),
    ...(access.clientCert && access.clientKey
      ? { clientCertPair: { crt: access.clientCert, key: access.clientKey } }
      : {}),
  };
  return Object.keys(tls).length > 0 ? tls : true;
}

export { workflowUiLink, type TemporalUi } from '../bot/render/alert';
