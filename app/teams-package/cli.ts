/**
 * The command line of `npm run teams:package`.
 * Exit codes: 0 written, 1 refused (the reason names the key to fix), 2 usage error.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildManifest, publicUrl, TeamsPackageError, type TeamsManifest, type TeamsPackageOptions } from './manifest';
import { DEFAULT_OUT, packageOf } from './package';

const USAGE = `Build the Microsoft Teams app package for Least.

  tsx app/teams-package/cli.ts [--out FILE] [--app-id GUID] [--base-url https://HOST] [--teams-app-id GUID]

  --app-id        default MICROSOFT_APP_ID: the bot's Microsoft Entra application (client) id
  --base-url      default LEAST_PUBLIC_URL: the https URL of the bot; Teams calls <url>/api/messages
  --teams-app-id  default TEAMS_APP_ID, else derived from the bot id (stable)
  --out           default ${DEFAULT_OUT}

See docs/teams-setup.md.`;

export function runTeamsPackage(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  print: (line: string) => void = console.log,
  printError: (line: string) => void = console.error,
): number {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        'app-id': { type: 'string' },
        'base-url': { type: 'string' },
        'teams-app-id': { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    printError(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    print(USAGE);
    return 0;
  }
  const setting = (flag: string | undefined, key: string): string | undefined => {
    const value = flag ?? env[key];
    return value === undefined || value.trim() === '' ? undefined : value.trim(); // empty counts as unset, as in config
  };
  const options: TeamsPackageOptions = {
    microsoftAppId: setting(values['app-id'], 'MICROSOFT_APP_ID') ?? '',
    publicUrl: setting(values['base-url'], 'LEAST_PUBLIC_URL') ?? '',
  };
  const teamsAppId = setting(values['teams-app-id'], 'TEAMS_APP_ID');
  if (teamsAppId) options.teamsAppId = teamsAppId;

  let manifest: TeamsManifest;
  try {
    manifest = buildManifest(options);
  } catch (error) {
    if (!(error instanceof TeamsPackageError)) throw error;
    printError(error.message);
    return 1;
  }
  const out = values.out ?? DEFAULT_OUT;
  mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  writeFileSync(out, packageOf(manifest));
  print(`Wrote ${out} (Teams app ${manifest.id}, version ${manifest.version}, bot ${manifest.bots[0]?.botId}).`);
  print(
    `Azure Bot messaging endpoint: ${publicUrl(options.publicUrl)?.href}/api/messages (with the Microsoft Teams channel on).`,
  );
  print(`Sideload: Teams → Apps → Manage your apps → Upload an app → Upload a custom app → ${out}`);
  print('Then: install it for each requester and approver, and add it to the approval channel (docs/teams-setup.md).');
  return 0;
}

if (require.main === module) process.exitCode = runTeamsPackage(process.argv.slice(2));
