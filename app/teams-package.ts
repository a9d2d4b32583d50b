/**
 * `npm run teams:package`: builds the Microsoft Teams app package (manifest.json, color.png, outline.png
 * at the root of a zip) that an admin uploads to Teams. Icons are drawn here and the zip is written here,
 * so the repository holds no binaries and the build needs no extra dependencies.
 * Exit codes: 0 written, 1 refused (the reason names the key to fix), 2 usage error.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { deflateRawSync } from 'node:zlib';
import { crc32, encodePng } from './png';
import { GUID } from '../domain/guid';
import { uuidV5 } from '../activities/uuid';

const ROOT = path.resolve(__dirname, '..');
const TEMPLATE_FILE = path.join(ROOT, 'teams', 'manifest.template.json');
export const DEFAULT_OUT = path.join('dist', 'least-teams.zip');

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
function publicUrl(value: string | undefined): { href: string; hostname: string } | undefined {
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

export function buildPackage(options: TeamsPackageOptions): Buffer {
  return packageOf(buildManifest(options));
}

function packageOf(manifest: TeamsManifest): Buffer {
  return zip([
    { name: 'manifest.json', data: Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`) },
    { name: manifest.icons.color, data: pngIcon('color', manifest.accentColor) },
    { name: manifest.icons.outline, data: pngIcon('outline') },
  ]);
}

// ---- Icons: a padlock, white on the accent colour (192×192) or on transparent (32×32) ----

/** Is a point of the padlock's 1×1 box (y down) inked? Body, shackle, and the keyhole cut out of the body. */
function padlock(x: number, y: number): boolean {
  const keyhole = Math.hypot(x - 0.5, y - 0.66) <= 0.085 || (Math.abs(x - 0.5) <= 0.035 && y >= 0.66 && y <= 0.85);
  if (keyhole) return false;
  const body = roundedRect(x, y, 0.5, 0.725, 0.38, 0.275, 0.08);
  const ring = y <= 0.4 ? Math.hypot(x - 0.5, y - 0.4) : Math.abs(x - 0.5);
  const shackle = y <= 0.47 && Math.abs(ring - 0.25) <= 0.075;
  return body || shackle;
}

function roundedRect(
  x: number,
  y: number,
  cx: number,
  cy: number,
  halfW: number,
  halfH: number,
  radius: number,
): boolean {
  const qx = Math.abs(x - cx) - (halfW - radius);
  const qy = Math.abs(y - cy) - (halfH - radius);
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) <= radius;
}

/**
 * `color`: 192×192, the padlock in the middle 96×96 (Teams' safe area) on a solid background.
 * `outline`: 32×32, white on transparent, as Teams requires; edges anti-aliased through the alpha channel.
 */
export function pngIcon(kind: 'color' | 'outline', background = '#2F4FA8'): Buffer {
  const size = kind === 'color' ? 192 : 32;
  const box = kind === 'color' ? 96 : 28;
  const [br, bg, bb] = [1, 3, 5].map((at) => parseInt(background.slice(at, at + 2), 16)) as [number, number, number];
  const origin = (size - box) / 2;
  const samples = 4; // 4×4 samples a pixel: smooth edges without a rasteriser
  const rgba = new Uint8Array(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let inked = 0;
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const x = (px + (sx + 0.5) / samples - origin) / box;
          const y = (py + (sy + 0.5) / samples - origin) / box;
          if (padlock(x, y)) inked++;
        }
      }
      const coverage = inked / (samples * samples);
      const at = (py * size + px) * 4;
      if (kind === 'color') {
        rgba[at] = Math.round(br + (255 - br) * coverage);
        rgba[at + 1] = Math.round(bg + (255 - bg) * coverage);
        rgba[at + 2] = Math.round(bb + (255 - bb) * coverage);
        rgba[at + 3] = 255;
      } else {
        rgba.fill(255, at, at + 3);
        rgba[at + 3] = Math.round(255 * coverage);
      }
    }
  }
  return encodePng({ width: size, height: size, rgba });
}

// ---- ZIP: stored or deflated entries, no zip64, fixed timestamps so the same inputs give the same bytes ----

export interface ZipEntry {
  name: string;
  data: Buffer;
}

/** 1980-01-01 00:00:00, the first moment DOS time can say: any fixed value keeps builds reproducible. */
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const METHOD_STORE = 0;
const METHOD_DEFLATE = 8;
const VERSION_NEEDED = 20; // 2.0: deflate

export function zip(entries: ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  const seen = new Set<string>();
  let offset = 0;
  for (const entry of entries) {
    if (
      !/^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/.test(entry.name) ||
      entry.name.startsWith('/') ||
      entry.name.includes('\\')
    ) {
      throw new Error(`zip entry name "${entry.name}" must be a relative path in printable ASCII`);
    }
    if (seen.has(entry.name)) throw new Error(`zip entry "${entry.name}" appears twice`);
    seen.add(entry.name);
    const deflated = deflateRawSync(entry.data, { level: 9 });
    // PNGs are compressed already; storing them avoids growing them.
    const method = deflated.length < entry.data.length ? METHOD_DEFLATE : METHOD_STORE;
    const body = method === METHOD_DEFLATE ? deflated : entry.data;
    if (offset + body.length > 0xfffffff0) throw new Error('zip over 4 GB needs zip64, which this writer does not do');
    const name = Buffer.from(entry.name, 'ascii');
    const crc = crc32(entry.data);

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(VERSION_NEEDED, 4);
    local.writeUInt16LE(0, 6); // flags: sizes are known up front, so no data descriptor
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(entry.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28); // extra field length
    locals.push(local, name, body);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(VERSION_NEEDED, 4); // made by: MS-DOS attributes, 2.0
    central.writeUInt16LE(VERSION_NEEDED, 6);
    central.writeUInt16LE(0, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(entry.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    // 30–45: extra and comment lengths, disk number, attributes: all zero
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);

    offset += local.length + name.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

// ---- Command line ----

const USAGE = `Build the Microsoft Teams app package for Least.

  tsx app/teams-package.ts [--out FILE] [--app-id GUID] [--base-url https://HOST] [--teams-app-id GUID]

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
