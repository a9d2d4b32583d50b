import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { Coverage, Identity, SkippedItem, UsageDay, UsageDetail } from '../../../domain/inventory/model';
import type { AwsSystem } from '../../cloud/aws/errors';
import { scanTrailRecords } from './cloudtrail-records';
import type { AttributionContext, TrailRecord } from './cloudtrail-usage';
import { UsageAggregator } from './cloudtrail-usage';
import type { CloudTrailSettings } from './sessions';
import { AwsSkipReason } from './skip-reasons';

/**
 * The `usage:cloudtrail` step: the trail's log files in S3, one file at a time, a bounded number per
 * page. The cursor is where the page stopped (the last key read) plus the first and last delivery
 * times met, which make the coverage at the end.
 *
 * Layout: `<prefix>/AWSLogs/[<org id>/]<account>/CloudTrail/<region>/YYYY/MM/DD/
 * <account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<suffix>.json.gz`. Keys sort by region, then day, so
 * a region's window is one contiguous listing from the day before the window to the day after it
 * (a file is delivered up to ~15 minutes after its events: a day either side is plenty).
 */

const DAY_MS = 86_400_000;
/** How far outside the window files are read: delivery time is not event time. */
export const DELIVERY_SLACK_MS = DAY_MS;

/**
 * CloudTrail logs data events (object reads and writes, function invokes, item reads) only when the
 * trail is set to: until a run sees one, coverage does not vouch for them.
 */
export const DATA_EVENT_ACTIONS: Readonly<Record<string, string[]>> = {
  s3: ['s3:GetObject*', 's3:PutObject*', 's3:DeleteObject*', 's3:RestoreObject', 's3:AbortMultipartUpload'],
  lambda: ['lambda:InvokeFunction'],
  dynamodb: [
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    'dynamodb:Query',
    'dynamodb:Scan',
    'dynamodb:Batch*',
  ],
};

export interface TrailCursor {
  /** The last key read. */
  after?: string;
  /** Delivery times (from the key names) of the first and last files read. */
  first?: string;
  last?: string;
  /** Services whose data events the run has seen. */
  data?: string[];
}

export interface CloudTrailPage {
  identities: Identity[];
  usage: UsageDay[];
  usageDetail: UsageDetail[];
  coverage: Coverage[];
  skipped: SkippedItem[];
  counts: Record<string, number>;
  next?: string;
}

export function trailBase(system: AwsSystem, trail: CloudTrailSettings): string {
  const prefix = trail.prefix ? `${trail.prefix.replace(/\/+$/, '')}/` : '';
  const org = trail.organizationId ? `${trail.organizationId}/` : '';
  return `${prefix}AWSLogs/${org}${system.accountId}/CloudTrail/`;
}

const KEY_PATTERN = /_CloudTrail_([a-z0-9-]+)_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_[A-Za-z0-9]+\.json\.gz$/;

/** The delivery time in a key's name, or undefined when the name is not CloudTrail's. */
export function deliveryTime(key: string): string | undefined {
  const match = KEY_PATTERN.exec(key);
  if (!match) return undefined;
  const [, , year, month, day, hour, minute] = match;
  return `${year}-${month}-${day}T${hour}:${minute}:00.000Z`;
}

function dayPath(time: number): string {
  return new Date(time).toISOString().slice(0, 10).replace(/-/g, '/');
}

export interface TrailReading {
  s3: S3Client;
  bucket: string;
  system: AwsSystem;
  trail: CloudTrailSettings;
  window: { from: string; to: string };
  attribution: AttributionContext;
  /** Resolves the Identity Center user names of a file's sessions before it is attributed. */
  prepare(records: TrailRecord[]): Promise<void>;
  filesPerPage: number;
  heartbeat: (detail?: unknown) => void;
}

export async function cloudTrailPage(reading: TrailReading, cursorText: string | undefined): Promise<CloudTrailPage> {
  const cursor: TrailCursor = cursorText ? (JSON.parse(cursorText) as TrailCursor) : {};
  const { s3, bucket, system, trail, window } = reading;
  const base = trailBase(system, trail);
  const regions = trail.regions.length ? [...trail.regions].sort() : await listRegions(s3, bucket, base);
  const startDay = dayPath(Date.parse(window.from) - DELIVERY_SLACK_MS);
  const endDay = dayPath(Date.parse(window.to) + DELIVERY_SLACK_MS);

  const aggregator = new UsageAggregator(reading.attribution, window);
  const skipped: SkippedItem[] = [];
  const state: TrailCursor = { ...cursor, data: [...(cursor.data ?? [])] };
  const files = new TrailFiles(s3, bucket);
  let bytes = 0;
  let budgetLeft = reading.filesPerPage;
  let finished = true;

  const fromRegion = cursor.after ? regionOfKey(base, cursor.after) : undefined;
  for (const region of regions) {
    if (fromRegion !== undefined && region < fromRegion) continue;
    const regionBase = `${base}${region}/`;
    const stopAt = `${regionBase}${endDay}/\uffff`;
    let startAfter =
      cursor.after && region === fromRegion && cursor.after > `${regionBase}${startDay}/`
        ? cursor.after
        : `${regionBase}${startDay}/`;
    let regionDone = false;
    while (!regionDone && budgetLeft > 0) {
      const listed = await s3.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: regionBase,
          StartAfter: startAfter,
          MaxKeys: Math.min(1000, budgetLeft),
        }),
      );
      const keys = (listed.Contents ?? []).map((object) => object.Key!).filter(Boolean);
      for (let k = 0; k < keys.length; k++) {
        const key = keys[k]!;
        if (key > stopAt) {
          regionDone = true;
          break;
        }
        startAfter = key;
        state.after = key;
        budgetLeft--;
        const delivered = deliveryTime(key);
        if (!delivered) {
          skipped.push({ reason: AwsSkipReason.CloudTrailKeyUnexpected, item: key });
          continue;
        }
        if (!state.first || delivered < state.first) state.first = delivered;
        if (!state.last || delivered > state.last) state.last = delivered;
        const fetched = files.take(key);
        // the next file downloads and inflates while this one is parsed and counted: two files in memory at most
        files.ahead(nextToRead(keys, k, stopAt, budgetLeft));
        const read = await fetched;
        bytes += read.bytes;
        const parsed = 'error' in read ? read : parseTrailBody(read.body, read.bytes);
        // the records hold copies, never views of the body: its megabyte goes back now, not at a major GC
        if ('body' in read) releaseBuffer(read.body);
        if ('error' in parsed) {
          skipped.push({ reason: AwsSkipReason.CloudTrailFileMalformed, item: key, detail: parsed.error });
        } else {
          await reading.prepare(parsed.records);
          skipped.push(...aggregator.addFile(key, parsed.records));
        }
        reading.heartbeat({ step: 'usage:cloudtrail', key });
        if (budgetLeft === 0) break;
      }
      if (!listed.IsTruncated && budgetLeft > 0) regionDone = true;
      if (keys.length === 0) regionDone = true;
    }
    if (!regionDone) {
      finished = false;
      break;
    }
  }

  for (const service of aggregator.dataEventServices) if (!state.data!.includes(service)) state.data!.push(service);
  const coverage: Coverage[] = [];
  if (finished) {
    const span = coveredSpan(window, state);
    if (span) {
      const except = Object.entries(DATA_EVENT_ACTIONS)
        .filter(([service]) => !state.data!.includes(service))
        .flatMap(([, actions]) => actions);
      coverage.push({
        systemId: system.id,
        identityId: '*',
        source: 'cloudtrail',
        granularity: 'action-day',
        from: span.from,
        to: span.to,
        actions: 'all',
        ...(except.length ? { exceptActions: except } : {}),
        note: `s3://${bucket}/${base} ${regions.join(', ') || 'no regions'}`,
      });
    } else {
      skipped.push({
        reason: AwsSkipReason.CloudTrailFilesNone,
        item: `s3://${bucket}/${base}`,
        detail: `no log files from ${startDay} to ${endDay}: CloudTrail usage is unknown`,
      });
    }
  }
  const { counts } = aggregator;
  return {
    identities: aggregator.identities(),
    usage: aggregator.usage(),
    usageDetail: aggregator.usageDetail(),
    coverage,
    skipped,
    counts: {
      'cloudtrail.files': files.taken,
      'cloudtrail.bytes': bytes,
      'cloudtrail.records': counts.records,
      'cloudtrail.used': counts.used,
      'cloudtrail.denied': counts.denied,
      'cloudtrail.outsideWindow': counts.outsideWindow,
      'cloudtrail.unattributed': counts.unattributed,
      'cloudtrail.skipped': counts.malformed + counts.unknownService,
    },
    next: finished ? undefined : JSON.stringify(state),
  };
}

/**
 * The span the files vouch for: from the window's start when a file was delivered before it (else from
 * the first file: the trail may have begun then), to the window's end when one came after it (else to
 * the last file: later events may still be on their way).
 */
function coveredSpan(
  window: { from: string; to: string },
  state: TrailCursor,
): { from: string; to: string } | undefined {
  if (!state.first || !state.last) return undefined;
  const from = state.first <= window.from ? window.from : state.first;
  const to = state.last >= window.to ? window.to : state.last;
  return from <= to ? { from, to } : undefined;
}

function regionOfKey(base: string, key: string): string | undefined {
  if (!key.startsWith(base)) return undefined;
  return key.slice(base.length).split('/')[0];
}

export async function listRegions(s3: S3Client, bucket: string, base: string): Promise<string[]> {
  const regions: string[] = [];
  let token: string | undefined;
  do {
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: base, Delimiter: '/', ContinuationToken: token }),
    );
    for (const prefix of listed.CommonPrefixes ?? []) {
      const region = prefix.Prefix?.slice(base.length).replace(/\/$/, '');
      if (region) regions.push(region);
    }
    token = listed.IsTruncated ? listed.NextContinuationToken : undefined;
  } while (token);
  return regions.sort();
}

/** The key the page reads after `keys[k]`: in this listing, inside the window's days and the page's budget. */
function nextToRead(keys: string[], k: number, stopAt: string, budgetLeft: number): string | undefined {
  for (let j = k + 1, budget = budgetLeft; j < keys.length && budget > 0; j++, budget--) {
    const key = keys[j]!;
    if (key > stopAt) return undefined;
    if (deliveryTime(key)) return key;
  }
  return undefined;
}

type TrailFile = { body: Buffer; bytes: number } | { error: string; bytes: number };

/**
 * The page's files, read in order, with at most one read ahead: the file being counted and the next
 * one are all the page holds. The page never reads ahead past its budget or the window's last day; when
 * it fails first, the read ahead finishes on its own and is dropped.
 */
class TrailFiles {
  taken = 0;
  private next: { key: string; file: Promise<TrailFile> } | undefined;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  take(key: string): Promise<TrailFile> {
    this.taken++;
    const ready = this.next?.key === key ? this.next.file : undefined;
    this.next = undefined;
    return ready ?? fetchTrailFile(this.s3, this.bucket, key);
  }

  ahead(key: string | undefined): void {
    if (key === undefined) return;
    const file = fetchTrailFile(this.s3, this.bucket, key);
    file.catch(() => undefined); // its failure is reported when the page takes it
    this.next = { key, file };
  }
}

const gunzipBuffer = promisify(gunzip);

/**
 * The inflated size as gzip's trailer gives it (ISIZE, of the last member), as the one output buffer to
 * inflate into: a buffer per 16 KiB, or a 1 MiB one and a copy, cost a major GC every few files, as V8
 * counts every Buffer byte. A hint only: more output simply takes more buffers. A byte over, so zlib
 * does not make a spare buffer when the output fills this one exactly; bounded for bodies that are not gzip.
 */
function inflateChunk(compressed: Buffer): number {
  const hint = compressed.length >= 18 ? compressed.readUInt32LE(compressed.length - 4) + 1 : 0;
  const most = Math.min(64 * 2 ** 20, Math.max(2 ** 16, compressed.length * 32));
  return Math.min(most, Math.max(2 ** 14, hint));
}

/**
 * One file's bytes, inflated off the event loop: memory is bounded by the largest file. A body that is
 * not gzip or is cut short comes back as an error to report; a network failure throws (the page is retried).
 */
export async function fetchTrailFile(s3: S3Client, bucket: string, key: string): Promise<TrailFile> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const chunks: Buffer[] = [];
  for await (const chunk of object.Body as Readable) chunks.push(chunk as Buffer);
  const compressed = Buffer.concat(chunks);
  const bytes = object.ContentLength ?? 0;
  try {
    return { body: await gunzipBuffer(compressed, { chunkSize: inflateChunk(compressed) }), bytes };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('Z_')) return { error: `gzip: ${(error as Error).message}`, bytes };
    throw error;
  } finally {
    releaseBuffer(compressed);
  }
}

/**
 * Frees a file's bytes at once by detaching their memory (`ArrayBuffer.prototype.transfer(0)`). V8 counts
 * Buffer memory as external memory and answers ~64 MiB of it with a major GC, whose marking costs as much
 * as the whole heap: left to the GC, the files read would bring one every few dozen files. Only a buffer
 * this file made and alone views (the Buffer.concat of a body, zlib's output of a finished inflate) is
 * released; a small one may share Node's Buffer pool and is left alone.
 */
function releaseBuffer(buffer: Buffer): void {
  if (!(buffer.buffer instanceof ArrayBuffer)) return;
  const memory = buffer.buffer as TransferableMemory; // ES2024's ArrayBuffer, beyond the compiler's lib
  if (
    typeof memory.transfer === 'function' &&
    !memory.detached &&
    !memory.resizable &&
    buffer.byteOffset === 0 &&
    memory.byteLength > Math.max(RELEASE_FROM, Buffer.poolSize)
  )
    memory.transfer(0);
}
const RELEASE_FROM = 64 * 1024;
type TransferableMemory = ArrayBuffer & {
  detached: boolean;
  resizable: boolean;
  transfer?(length: number): ArrayBuffer;
};

/**
 * A file's text as records: read field by field (cloudtrail-records.ts) when it is plain CloudTrail JSON,
 * else by JSON.parse, which then also says what is wrong with it.
 */
export function parseTrailBody(
  body: Buffer,
  bytes: number,
): { records: TrailRecord[]; bytes: number } | { error: string; bytes: number } {
  const scanned = scanTrailRecords(body);
  if (scanned) return { records: scanned, bytes };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (error) {
    return { error: `json: ${(error as Error).message}`, bytes };
  }
  const records = (parsed as { Records?: unknown } | null)?.Records;
  if (!Array.isArray(records)) return { error: 'no Records array', bytes };
  return { records: records as TrailRecord[], bytes };
}
