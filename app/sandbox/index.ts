import type { Policy } from '../../domain/policy/schema';
import { ensureTools } from '../embedded/binaries';
import { freePort, httpReady, startServer } from '../embedded/processes';
import { startTranslatingFront } from './front';
import { SANDBOX_CREDENTIALS, seedEmulator } from './seed';

/**
 * The sandbox: an AWS emulator (moto) on 127.0.0.1, seeded to match the policy, with every AWS
 * system of the policy pointed at it. Nothing real is granted. Azure and GCP systems are left as
 * they are (the shipped example has none switched on). The emulator has no IAM Access Advisor, so
 * the sandbox's inventory collections go without it (the policy file keeps its setting).
 */
export interface Sandbox {
  /** The policy with each AWS system's endpoint set to the emulator. */
  policy: Policy;
  /** Where the AWS SDK calls go (a front of the emulator). */
  url: string;
  /** The emulator itself, for looking at what a grant did. */
  emulatorUrl: string;
  stop(): Promise<void>;
}

export async function startSandbox(policy: Policy, progress: (line: string) => void): Promise<Sandbox> {
  const { moto_server: binary } = ensureTools(['moto_server'], progress);
  const port = await freePort();
  const emulatorUrl = `http://127.0.0.1:${port}`;
  const moto = await startServer({
    name: 'AWS emulator (moto)',
    command: binary,
    args: ['-H', '127.0.0.1', '-p', String(port)],
    port,
    url: emulatorUrl,
    ready: httpReady(`${emulatorUrl}/moto-api/`),
  });
  try {
    useSandboxCredentials();
    const aliases = await seedEmulator(emulatorUrl, policy);
    const front = await startTranslatingFront(emulatorUrl, aliases);
    const advisorOff = policy.authorizationSystems.filter((s) => s.cloud === 'aws' && s.inventory?.accessAdvisor);
    if (advisorOff.length > 0) {
      progress(
        `sandbox: the emulator has no IAM Access Advisor; inventory of ${advisorOff.map((s) => s.id).join(', ')} goes without it`,
      );
    }
    return {
      policy: {
        ...policy,
        authorizationSystems: policy.authorizationSystems.map((system) =>
          system.cloud === 'aws' ? pointedAtEmulator(system, front.url) : system,
        ),
      },
      url: front.url,
      emulatorUrl,
      stop: async () => {
        await front.close();
        await moto.stop();
      },
    };
  } catch (error) {
    await moto.stop();
    throw error;
  }
}

type AwsSystem = Extract<Policy['authorizationSystems'][number], { cloud: 'aws' }>;

function pointedAtEmulator(system: AwsSystem, endpoint: string): AwsSystem {
  const inventory = system.inventory && { ...system.inventory, accessAdvisor: false };
  return { ...system, endpoint, ...(inventory ? { inventory } : {}) };
}

/** Dummy credentials for the SDK's default chain, so no real AWS identity is ever picked up. */
function useSandboxCredentials(): void {
  process.env.AWS_ACCESS_KEY_ID = SANDBOX_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = SANDBOX_CREDENTIALS.secretAccessKey;
  for (const key of ['AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE']) {
    delete process.env[key];
  }
}

/** Whether the main job runs the sandbox: the setting when given, else only on the shipped example. */
export function sandboxWanted(setting: boolean | undefined, onExamplePolicy: boolean): boolean {
  return setting ?? onExamplePolicy;
}
