import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseCommand } from '../../bot/commands';
import {
  buildPackage,
  runTeamsPackage,
  TeamsPackageError,
  type TeamsManifest,
  type TeamsPackageOptions,
} from '../../app/teams-package';

const ROOT = path.resolve(__dirname, '..', '..');
const APP_ID = '3f1c2b4a-1111-4222-8333-944455556666';
const OPTIONS: TeamsPackageOptions = { microsoftAppId: APP_ID, publicUrl: 'https://least.example.com/' };
const PACKAGE_VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string })
  .version;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Reads the package with Python's zipfile and decodes the PNGs with Python's zlib: a reader that shares
 * no code with the writer, so a wrong offset, CRC or filter byte fails here as it would in Teams.
 */
const READER = String.raw`
import json, struct, sys, zipfile, zlib

def png(data):
    assert data[:8] == b'\x89PNG\r\n\x1a\n', 'PNG signature'
    pos, chunks = 8, []
    while pos < len(data):
        (length,) = struct.unpack('>I', data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack('>I', data[pos + 8 + length:pos + 12 + length])
        chunks.append((kind.decode('latin1'), body, crc == zlib.crc32(kind + body)))
        pos += 12 + length
    width, height, depth, color_type, _, _, interlace = struct.unpack('>IIBBBBB', chunks[0][1])
    channels = {2: 3, 6: 4}[color_type]
    raw = zlib.decompress(b''.join(body for kind, body, _ in chunks if kind == 'IDAT'))
    stride = width * channels
    rows = [raw[y * (stride + 1):(y + 1) * (stride + 1)] for y in range(height)]
    return dict(chunks=[kind for kind, _, _ in chunks], crcOk=all(ok for _, _, ok in chunks), width=width,
                height=height, bitDepth=depth, colorType=color_type, interlace=interlace,
                filters=sorted({row[0] for row in rows}), pixels=b''.join(row[1:] for row in rows).hex())

with zipfile.ZipFile(sys.argv[1]) as z:
    print(json.dumps(dict(
        names=z.namelist(),
        badEntry=z.testzip(),
        entries=[dict(name=i.filename, method=i.compress_type, dateTime=list(i.date_time)) for i in z.infolist()],
        manifest=json.loads(z.read('manifest.json')),
        color=png(z.read('color.png')),
        outline=png(z.read('outline.png')),
    )))
`;

interface DecodedPng {
  chunks: string[];
  crcOk: boolean;
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlace: number;
  filters: number[];
  pixels: string;
}

/** The manifest as read back from the zip: what Least fills in, plus the fields the template fixes. */
type Manifest = Omit<TeamsManifest, 'bots'> & {
  $schema: string;
  bots: (TeamsManifest['bots'][number] & {
    supportsFiles: boolean;
    isNotificationOnly: boolean;
    commandLists: { scopes: string[]; commands: { title: string; description: string }[] }[];
  })[];
  webApplicationInfo?: unknown;
};

interface ReadPackage {
  names: string[];
  badEntry: string | null;
  entries: { name: string; method: number; dateTime: number[] }[];
  manifest: Manifest;
  color: DecodedPng;
  outline: DecodedPng;
}

function withTempDir<T>(run: (dir: string) => T): T {
  const dir = mkdtempSync(path.join(tmpdir(), 'least-teams-'));
  try {
    return run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function readWithPython(bytes: Buffer): ReadPackage {
  return withTempDir((dir) => {
    const file = path.join(dir, 'least-teams.zip');
    writeFileSync(file, bytes);
    return JSON.parse(execFileSync('python3', ['-c', READER, file], { encoding: 'utf8' })) as ReadPackage;
  });
}

function pixel(png: DecodedPng, x: number, y: number): [number, number, number, number] {
  const at = (y * png.width + x) * 4 * 2;
  return [0, 1, 2, 3].map((i) => parseInt(png.pixels.slice(at + i * 2, at + i * 2 + 2), 16)) as [
    number,
    number,
    number,
    number,
  ];
}

function refusal(options: TeamsPackageOptions): string {
  try {
    buildPackage(options);
  } catch (error) {
    assert.ok(error instanceof TeamsPackageError, `expected a TeamsPackageError, got ${String(error)}`);
    assert.equal(error.code, 'TEAMS_PACKAGE.INVALID');
    return error.message;
  }
  assert.fail('the package was built');
}

const read = readWithPython(buildPackage(OPTIONS));
const { manifest } = read;

describe('Teams app package', () => {
  test('holds manifest.json, color.png and outline.png at the root, readable by another zip reader', () => {
    assert.deepEqual(read.names, ['manifest.json', 'color.png', 'outline.png']);
    assert.equal(read.badEntry, null, 'every entry passes its CRC check');
    for (const entry of read.entries) {
      assert.ok([0, 8].includes(entry.method), `${entry.name}: stored or deflated`);
      assert.deepEqual(entry.dateTime, [1980, 1, 1, 0, 0, 0], `${entry.name}: fixed timestamp`);
    }
  });

  test('the manifest names the bot, its host, the version and the icons', () => {
    assert.equal(
      manifest.$schema,
      'https://developer.microsoft.com/json-schemas/teams/v1.17/MicrosoftTeams.schema.json',
    );
    assert.equal(manifest.manifestVersion, '1.17');
    assert.equal(manifest.version, PACKAGE_VERSION);
    assert.equal(manifest.bots.length, 1);
    const [bot] = manifest.bots;
    assert.equal(bot?.botId, APP_ID);
    assert.deepEqual(bot?.scopes, ['personal', 'team', 'groupChat']);
    // Reports asked for in a personal chat arrive through a file consent card, which needs file support.
    assert.equal(bot?.supportsFiles, true);
    assert.equal(bot?.isNotificationOnly, false);
    assert.deepEqual(manifest.validDomains, ['least.example.com']);
    assert.equal(manifest.developer.websiteUrl, 'https://least.example.com');
    assert.deepEqual(manifest.name, { short: 'Least', full: 'Least: time-limited cloud access' });
    assert.deepEqual(manifest.icons, { color: 'color.png', outline: 'outline.png' });
    assert.equal(manifest.webApplicationInfo, undefined, 'no SSO, so no webApplicationInfo');
  });

  test('the Teams app id is a UUID v5 of the bot id, stable and distinct from it', () => {
    const expected = execFileSync(
      'python3',
      [
        '-c',
        'import sys, uuid; print(uuid.uuid5(uuid.UUID(sys.argv[1]), sys.argv[2]))',
        'e9641813-8d49-40f2-8611-1febfaa15ca8',
        APP_ID,
      ],
      { encoding: 'utf8' },
    ).trim();
    assert.equal(manifest.id, expected);
    assert.notEqual(manifest.id, APP_ID);
    const given = '0b6f3a52-93d4-4c1e-9a57-2d1e8f0c4b11';
    assert.equal(readWithPython(buildPackage({ ...OPTIONS, teamsAppId: given })).manifest.id, given);
  });

  test('the personal menu lists every command the bot understands; channels and group chats offer help and report', () => {
    const titles = ['request', 'list', 'approvals', 'extend', 'done', 'revoke', 'break-glass', 'report', 'help'];
    const [personal, shared, ...more] = manifest.bots[0]?.commandLists ?? [];
    assert.deepEqual(more, []);
    assert.deepEqual(personal?.scopes, ['personal']);
    assert.deepEqual(
      personal?.commands.map((c) => c.title),
      titles,
    );
    for (const title of titles) {
      const command = parseCommand(title);
      assert.ok(command.kind !== 'usage' || !command.problem.startsWith('I do not know'), `the bot knows "${title}"`);
    }
    const request = personal?.commands.find((c) => c.title === 'request');
    assert.match(request?.description ?? '', /request <entitlement> <duration> <reason> \[ticket:X\]/);
    // The bot refuses every command but help and report outside a personal chat, so the channel menu offers only them.
    assert.deepEqual(shared?.scopes, ['team', 'groupChat']);
    assert.deepEqual(
      shared?.commands.map((c) => c.title),
      ['help', 'report'],
    );
  });

  test('the manifest keeps to the limits the v1.17 schema enforces', () => {
    const within = (field: string, value: string, max: number): void =>
      assert.ok(value.length >= 1 && value.length <= max, `${field}: ${value.length} characters, limit ${max}`);
    assert.match(manifest.id, GUID);
    assert.match(manifest.bots[0]?.botId ?? '', GUID);
    assert.match(manifest.version, /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/);
    within('name.short', manifest.name.short, 30);
    within('name.full', manifest.name.full, 100);
    within('description.short', manifest.description.short, 80);
    within('description.full', manifest.description.full, 4000);
    within('developer.name', manifest.developer.name, 32);
    for (const url of [
      manifest.developer.websiteUrl,
      manifest.developer.privacyUrl,
      manifest.developer.termsOfUseUrl,
    ]) {
      assert.match(url, /^https:\/\/\S+$/);
      assert.ok(url.length <= 2048);
    }
    assert.match(manifest.accentColor, /^#[0-9a-fA-F]{6}$/);
    const scopes = ['team', 'personal', 'groupChat'];
    for (const bot of manifest.bots) {
      assert.ok(bot.scopes.every((scope) => scopes.includes(scope)));
      assert.ok(bot.commandLists.length <= 3, 'at most 3 command lists');
      for (const list of bot.commandLists) {
        assert.ok(
          list.scopes.every((scope) => bot.scopes.includes(scope)),
          'a menu only for scopes the bot has',
        );
        assert.ok(list.commands.length <= 10, `at most 10 commands, got ${list.commands.length}`);
        for (const command of list.commands) {
          within(`command ${command.title} title`, command.title, 32);
          within(`command ${command.title} description`, command.description, 128);
        }
      }
    }
    assert.ok(manifest.validDomains.length <= 16);
    for (const domain of manifest.validDomains) assert.doesNotMatch(domain, /[/:]/, 'a domain, without scheme or path');
  });

  test('color.png is 192×192 and opaque: a white padlock on the accent colour', () => {
    const png = read.color;
    assert.deepEqual([png.width, png.height, png.bitDepth, png.interlace], [192, 192, 8, 0]);
    assert.deepEqual(png.chunks, ['IHDR', 'IDAT', 'IEND']);
    assert.ok(png.crcOk, 'every chunk CRC matches');
    assert.deepEqual(png.filters, [0]);
    const accent = [1, 3, 5].map((at) => parseInt(manifest.accentColor.slice(at, at + 2), 16));
    const alphas = new Set<number>();
    for (let y = 0; y < 192; y++) for (let x = 0; x < 192; x++) alphas.add(pixel(png, x, y)[3]);
    assert.deepEqual([...alphas], [255]);
    assert.deepEqual(pixel(png, 0, 0), [...accent, 255], 'corner: background');
    assert.deepEqual(pixel(png, 70, 130), [255, 255, 255, 255], 'lock body');
    assert.deepEqual(pixel(png, 95, 111), [...accent, 255], 'keyhole');
  });

  test('outline.png is 32×32, white on transparent', () => {
    const png = read.outline;
    assert.deepEqual([png.width, png.height, png.bitDepth, png.colorType], [32, 32, 8, 6], 'RGBA: colour type 6');
    assert.ok(png.crcOk);
    let inked = 0;
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 32; x++) {
        const [r, g, b, a] = pixel(png, x, y);
        if (a > 0) assert.deepEqual([r, g, b], [255, 255, 255], `pixel ${x},${y} is white`);
        inked += a / 255;
      }
    }
    assert.ok(inked / 1024 > 0.3 && inked / 1024 < 0.7, `the padlock covers ${Math.round((inked / 1024) * 100)}%`);
    for (const [x, y] of [
      [0, 0],
      [31, 0],
      [0, 31],
      [31, 31],
    ] as const)
      assert.equal(pixel(png, x, y)[3], 0, 'corners transparent');
    assert.equal(pixel(png, 8, 22)[3], 255, 'lock body');
    assert.equal(pixel(png, 15, 20)[3], 0, 'keyhole');
    assert.equal(pixel(png, 16, 9)[3], 0, 'inside the shackle');
  });

  test('the same inputs give a byte-identical package; another bot gives another', () => {
    const first = buildPackage(OPTIONS);
    assert.ok(first.equals(buildPackage({ ...OPTIONS })));
    assert.ok(
      first.equals(
        buildPackage({ ...OPTIONS, microsoftAppId: APP_ID.toUpperCase(), publicUrl: 'https://least.example.com' }),
      ),
    );
    assert.ok(!first.equals(buildPackage({ ...OPTIONS, microsoftAppId: '4f1c2b4a-1111-4222-8333-944455556666' })));
  });

  test('refuses a missing or malformed app id and a URL Teams cannot call, naming the key', () => {
    assert.match(refusal({ ...OPTIONS, microsoftAppId: '' }), /MICROSOFT_APP_ID \(or --app-id\) is not set/);
    assert.match(
      refusal({ ...OPTIONS, microsoftAppId: 'least-bot' }),
      /MICROSOFT_APP_ID \(or --app-id\) is "least-bot": expected .*GUID/,
    );
    assert.match(refusal({ ...OPTIONS, publicUrl: '' }), /LEAST_PUBLIC_URL \(or --base-url\) is not set/);
    assert.match(
      refusal({ ...OPTIONS, publicUrl: 'http://least.example.com' }),
      /LEAST_PUBLIC_URL .* is "http:\/\/least.example.com": expected the https URL/,
    );
    assert.match(refusal({ ...OPTIONS, publicUrl: 'least.example.com' }), /LEAST_PUBLIC_URL/);
    assert.match(refusal({ ...OPTIONS, publicUrl: 'https://least.example.com/?x=1' }), /no query or fragment/);
    assert.match(refusal({ ...OPTIONS, teamsAppId: 'my-app' }), /TEAMS_APP_ID \(or --teams-app-id\) is "my-app"/);
    assert.match(refusal({ ...OPTIONS, version: '1.0.0-beta.1' }), /version in package\.json is "1\.0\.0-beta\.1"/);
    const both = refusal({ microsoftAppId: '', publicUrl: 'http://x' });
    assert.match(both, /MICROSOFT_APP_ID/);
    assert.match(both, /LEAST_PUBLIC_URL/);
  });

  test('refuses a template edit that would break a Teams limit or leave a placeholder', () => {
    const template = readFileSync(path.join(ROOT, 'teams', 'manifest.template.json'), 'utf8');
    const long = template.replace('"title": "approvals"', '"title": "approvals waiting for you, newest first"');
    assert.match(
      refusal({ ...OPTIONS, template: long }),
      /command "approvals waiting for you, newest first" title is 39 characters; at most 32/,
    );
    const unknown = template.replace('"name": "Least"', '"name": "{{ORG_NAME}}"');
    assert.match(
      refusal({ ...OPTIONS, template: unknown }),
      /placeholders this script does not fill: \{\{ORG_NAME\}\}/,
    );
  });
});

describe('teams:package command line', () => {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME };

  test('writes the zip it would build and prints where to upload it', () => {
    withTempDir((dir) => {
      const out = path.join(dir, 'nested', 'least-teams.zip');
      const lines: string[] = [];
      const code = runTeamsPackage(
        ['--out', out],
        { MICROSOFT_APP_ID: APP_ID, LEAST_PUBLIC_URL: 'https://least.example.com' },
        (line) => lines.push(line),
      );
      assert.equal(code, 0);
      assert.ok(readFileSync(out).equals(buildPackage(OPTIONS)));
      assert.match(lines.join('\n'), /Azure Bot messaging endpoint: https:\/\/least\.example\.com\/api\/messages/);
      assert.match(lines.join('\n'), /Upload a custom app → .*least-teams\.zip/);
    });
  });

  test('flags win over the environment; empty variables count as unset', () => {
    withTempDir((dir) => {
      const out = path.join(dir, 'least-teams.zip');
      const errors: string[] = [];
      const stale = { MICROSOFT_APP_ID: 'not-a-guid', LEAST_PUBLIC_URL: ' ' };
      assert.equal(
        runTeamsPackage(['--out', out, '--app-id', APP_ID, '--base-url', 'https://least.example.com'], stale, () => {}),
        0,
      );
      assert.equal(
        runTeamsPackage(
          ['--out', out, '--app-id', APP_ID],
          stale,
          () => {},
          (line) => errors.push(line),
        ),
        1,
      );
      assert.match(errors.join('\n'), /LEAST_PUBLIC_URL \(or --base-url\) is not set/);
    });
  });

  test('run as a script: exit 1 naming the missing key, exit 0 with the file written', () => {
    withTempDir((dir) => {
      const out = path.join(dir, 'least-teams.zip');
      const script = path.join(ROOT, 'app', 'teams-package', 'cli.ts');
      const run = (extra: Record<string, string>) =>
        spawnSync(process.execPath, ['--import', 'tsx', script, '--out', out], {
          cwd: ROOT,
          env: { ...env, ...extra },
          encoding: 'utf8',
        });
      const refused = run({ LEAST_PUBLIC_URL: 'https://least.example.com' });
      assert.equal(refused.status, 1, refused.stderr);
      assert.match(refused.stderr, /MICROSOFT_APP_ID \(or --app-id\) is not set/);
      const written = run({ MICROSOFT_APP_ID: APP_ID, LEAST_PUBLIC_URL: 'https://least.example.com' });
      assert.equal(written.status, 0, written.stderr);
      assert.ok(readFileSync(out).equals(buildPackage(OPTIONS)));
      assert.equal(
        spawnSync(process.execPath, ['--import', 'tsx', script, '--bogus'], { cwd: ROOT, env, encoding: 'utf8' })
          .status,
        2,
      );
    });
  });
});
