/**
 * The Teams app manifest: filled in from teams/manifest.template.json and checked against the limits of
 * the v1.17 schema that an edit to the template can break.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { GUID } from '../../domain/guid';
import { uuidV5 } from '../../activities/uuid';

const ROOT = path.resolve(__dirname, '..', '..');
const TEMPLATE_FILE = path.join(ROOT, 'teams', 'manifest.template.json');

/** Fixed namespace for deriving the Teams app id: the same bot id must always give the same app. */
const TEAMS_APP_NAMESPACE = 'e9641813-8d49-40f2-8611-1febfaa15ca8';
/** The manifest schema's version pattern: three numbers, no pre-release tag. */
const MANIFEST_VERSION = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

export interface TeamsPackageOptions {
  /** The bot's Microsoft Entra application (client) id (MICROSOFT_APP_ID). */
  microsoftAppId: string;
  /** The https URL the bot is reached at (LEAST_PUBLIC_URL); Teams posts to `<url>/api/messages`. */
  publicUrl: string;
  /** Default: derived from the bot id, so a rebuilt package updates the installed app instead of adding a second one. */
  teamsAppId?: string;
  /** Default: package.json's version. Teams only offers an update when this grows. */
  version?: string;
  /** Default: teams/manifest.template.json. */
  template?: string;
}

/** The parts of the manifest Least fills in or checks; the template may carry more. */
export interface TeamsManifest {
  manifestVersion: string;
  version: string;
  id: string;
  developer: { name: string; websiteUrl: string; privacyUrl: string; termsOfUseUrl: string };
  name: { short: string; full: string };
  description: { short: string; full: string };
  icons: { color: string; outline: string };
  accentColor: string;
  bots: {
    botId: string;
    scopes: string[];
    commandLists?: { scopes: string[]; commands: { title: string; description: string }[] }[];
  }[];
  validDomains: string[];
}

/** How each option is set, for messages that name what to change. */
const SETTINGS = {
  microsoftAppId: {
    key: 'MICROSOFT_APP_ID (or --app-id)',
    expected: "the bot's Microsoft Entra application (client) id, a GUID such as 00000000-0000-0000-0000-000000000000",
  },
  publicUrl: {
    key: 'LEAST_PUBLIC_URL (or --base-url)',
    expected: 'the https URL the bot is reached at, such as https://least.example.com (no query or fragment)',
  },
  teamsAppId: { key: 'TEAMS_APP_ID (or --teams-app-id)', expected: 'a GUID, or unset to derive one from the bot id' },
  version: {
    key: 'the version in package.json',
    expected: 'three numbers such as 1.4.0 (Teams accepts no pre-release tag)',
  },
} as const;

/** The package cannot be built as asked; each problem names the key to fix. */
export class TeamsPackageError extends Error {
  override readonly name = 'TeamsPackageError';
  readonly code = 'TEAMS_PACKAGE.INVALID';
  constructor(readonly problems: string[]) {
    super(`Cannot build the Teams app package:\n${problems.map((problem) => `  ${problem}`).join('\n')}`);
  }
}

export function buildManifest(options: TeamsPackageOptions): TeamsManifest {
  const problems: string[] = [];
  const problem = (setting: keyof typeof SETTINGS, value: string | undefined): void => {
    const { key, expected } = SETTINGS[setting];
    problems.push(value ? `${key} is "${value}": expected ${expected}` : `${key} is not set: expected ${expected}`);
  };
  const appId = (options.microsoftAppId ?? '').trim();
  if (!GUID.test(appId)) problem('microsoftAppId', appId);
  const url = publicUrl(options.publicUrl);
  if (!url) problem('publicUrl', options.publicUrl?.trim());
  if (options.teamsAppId !== undefined && !GUID.test(options.teamsAppId)) problem('teamsAppId', options.teamsAppId);
  const version = options.version ?? packageVersion();
  if (!MANIFEST_VERSION.test(version)) problem('version', version);
  if (problems.length > 0 || !url) throw new TeamsPackageError(problems);

  const values: Record<string, string> = {
    MICROSOFT_APP_ID: appId.toLowerCase(),
    TEAMS_APP_ID: (options.teamsAppId ?? teamsAppIdFor(appId)).toLowerCase(),
    PUBLIC_URL: url.href,
    BOT_DOMAIN: url.hostname,
    PACKAGE_VERSION: version,
  };
  const template = options.template ?? readFileSync(TEMPLATE_FILE, 'utf8');
  // Values are checked above, but escape anyway: a placeholder sits inside a JSON string.
  const text = template.replace(/\{\{([A-Z_]+)\}\}/g, (whole, name: string) =>
    name in values ? JSON.stringify(values[name]).slice(1, -1) : whole,
  );
  const unknown = [...new Set(text.match(/\{\{[^}]*\}\}/g) ?? [])];
  if (unknown.length > 0) {
    throw new TeamsPackageError([
      `the manifest template has placeholders this script does not fill: ${unknown.join(', ')}`,
    ]);
  }
  const manifest = JSON.parse(text) as TeamsManifest;
  const limits = manifestProblems(manifest);
  if (limits.length > 0) throw new TeamsPackageError(limits.map((p) => `manifest template: ${p}`));
  return manifest;
}

/** The https URL without a trailing slash, or undefined when it is not one Teams can call. */
export function publicUrl(value: string | undefined): { href: string; hostname: string } | undefined {
  let url: URL;
  try {
    url = new URL((value ?? '').trim());
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' || url.search || url.hash || url.username || url.password) return undefined;
  return { href: `${url.origin}${url.pathname.replace(/\/+$/, '')}`, hostname: url.hostname };
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * The limits of the v1.17 schema that an edit to the template can break. Teams rejects such an upload
 * with a terse message; this names the field instead.
 */
export function manifestProblems(manifest: TeamsManifest): string[] {
  const problems: string[] = [];
  const atMost = (field: string, value: string | undefined, max: number): void => {
    if (!value) problems.push(`${field} is empty`);
    else if (value.length > max) problems.push(`${field} is ${value.length} characters; at most ${max}`);
  };
  atMost('name.short', manifest.name?.short, 30);
  atMost('name.full', manifest.name?.full, 100);
  atMost('description.short', manifest.description?.short, 80);
  atMost('description.full', manifest.description?.full, 4000);
  atMost('developer.name', manifest.developer?.name, 32);
  if (!/^#[0-9a-f]{6}$/i.test(manifest.accentColor ?? '')) problems.push('accentColor must look like #2F4FA8');
  for (const [index, bot] of (manifest.bots ?? []).entries()) {
    const lists = bot.commandLists ?? [];
    if (lists.length > 3) problems.push(`bots[${index}].commandLists has ${lists.length} lists; at most 3`);
    for (const [listIndex, list] of lists.entries()) {
      const where = `bots[${index}].commandLists[${listIndex}]`;
      if (list.commands.length > 10) problems.push(`${where} has ${list.commands.length} commands; at most 10`);
      for (const command of list.commands) {
        atMost(`${where} command "${command.title}" title`, command.title, 32);
        atMost(`${where} command "${command.title}" description`, command.description, 128);
      }
    }
  }
  return problems;
}

/** UUID v5 (RFC 9562) of the bot id: stable across rebuilds and machines, unique per bot. */
export function teamsAppIdFor(microsoftAppId: string): string {
  return uuidV5(microsoftAppId.trim().toLowerCase(), TEAMS_APP_NAMESPACE);
}
