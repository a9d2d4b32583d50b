import { isAscii } from 'node:buffer';
import type { TrailRecord } from './cloudtrail-usage';

/**
 * Reads a CloudTrail file (`{"Records":[…]}`) into records that hold only what usage reads: the
 * event's time, source, name, region, address, error and category, the caller (type, ARN, session
 * issuer's ARN) and the resources' ARNs. Every byte is still checked as JSON.parse checks it, but the
 * request parameters, user agents, ids and the rest are never built: they were most of the memory a file
 * took and most of the collector's garbage.
 *
 * Anything it does not read plainly (bytes beyond ASCII, line breaks, invalid JSON, escapes in a key, a
 * key twice at the top, records that are not objects, no `Records` array) gives `undefined`: the caller
 * then parses the text with JSON.parse, which says exactly what is wrong. So a file reads the same
 * either way.
 *
 * Values are copied out of the file's bytes, never sliced from its text: a string the usage keeps (an
 * ARN, an address) must not keep the whole file alive with it.
 */
export function scanTrailRecords(body: Buffer, windowSize = WINDOW): TrailRecord[] | undefined {
  if (!isAscii(body)) return undefined;
  const windowed = new Scanner(body, windowSize);
  try {
    return windowed.file();
  } catch (error) {
    if (error !== GIVE_UP) throw error;
    if (windowed.broken || windowed.whole) return undefined;
  }
  // rare: a window ended outside the records (a long value before them, the closing bracket): the whole text
  const whole = new Scanner(body, body.length);
  try {
    return whole.file();
  } catch (error) {
    if (error !== GIVE_UP) throw error;
    return undefined;
  }
}

/**
 * The text is read a window at a time, each small enough for V8's young generation: a file's text in one
 * string (a megabyte or more) would go straight to the old generation and bring a major GC every few files.
 */
const WINDOW = 32 * 1024;

/** Thrown inside the scanner to hand the text to JSON.parse; made once (no stack per file), never leaves this file. */
class NotPlainTrail extends Error {}
const GIVE_UP = new NotPlainTrail('not plain CloudTrail JSON');

/**
 * Values met recently, each its own copy (never a slice of a window, which would keep the window alive).
 * Shared by every file read, bounded in number and length: under a MiB.
 */
const RECENT_VALUES = new Map<string, string>();
const RECENT_VALUES_MOST = 4096;
const RECENT_VALUE_LENGTH = 128;

/** For `scalar`: a value that seldom recurs (an event's time, a resource's ARN), not worth looking up. */
const UNIQUE = false;

/** What a field of a record holds when it is present but not a string: usage only asks `typeof … === 'string'`. */
const NOT_A_STRING = true;

// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const CONTROL = /[\x00-\x1f]/;
const LITERALS = ['true', 'false', 'null'] as const;
const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const COLON = 58;
const OPEN_OBJECT = 123;
const CLOSE_OBJECT = 125;
const OPEN_ARRAY = 91;
const CLOSE_ARRAY = 93;
const MINUS = 45;
const PLUS = 43;
const DOT = 46;
const ZERO = 48;
const NINE = 57;

/** Keys the scanner reads, by the object they appear in; every other key's value is checked and skipped. */
const enum Key {
  Other,
  Records,
  EventTime,
  EventSource,
  EventName,
  AwsRegion,
  SourceIPAddress,
  ErrorCode,
  EventCategory,
  UserIdentity,
  Resources,
  Type,
  Arn,
  SessionContext,
  SessionIssuer,
  ResourceArn,
}

/**
 * Known keys of one kind of object, by length, then last character, then in full: an array index and two
 * character compares turn most keys away, cheaper than hashing each key read into a Map.
 */
class KeyTable {
  private readonly byLength: ({ name: string; last: number; key: Key }[] | undefined)[] = [];

  constructor(entries: [string, Key][]) {
    for (const [name, key] of entries)
      (this.byLength[name.length] ??= []).push({ name, last: name.charCodeAt(name.length - 1), key });
  }

  find(text: string, start: number, end: number): Key {
    const candidates = this.byLength[end - start];
    if (candidates === undefined) return Key.Other;
    const last = text.charCodeAt(end - 1);
    for (let c = 0; c < candidates.length; c++) {
      const candidate = candidates[c]!;
      if (candidate.last === last && text.startsWith(candidate.name, start)) return candidate.key;
    }
    return Key.Other;
  }
}

const TOP_KEYS = new KeyTable([['Records', Key.Records]]);
const RECORD_KEYS = new KeyTable([
  ['eventTime', Key.EventTime],
  ['eventSource', Key.EventSource],
  ['eventName', Key.EventName],
  ['awsRegion', Key.AwsRegion],
  ['sourceIPAddress', Key.SourceIPAddress],
  ['errorCode', Key.ErrorCode],
  ['eventCategory', Key.EventCategory],
  ['userIdentity', Key.UserIdentity],
  ['resources', Key.Resources],
]);
const IDENTITY_KEYS = new KeyTable([
  ['type', Key.Type],
  ['arn', Key.Arn],
  ['sessionContext', Key.SessionContext],
]);
const SESSION_KEYS = new KeyTable([['sessionIssuer', Key.SessionIssuer]]);
const ISSUER_KEYS = new KeyTable([['arn', Key.Arn]]);
const RESOURCE_KEYS = new KeyTable([['ARN', Key.ResourceArn]]);

type Identity = NonNullable<TrailRecord['userIdentity']>;
type SessionContext = NonNullable<Identity['sessionContext']>;
type Resource = NonNullable<TrailRecord['resources']>[number];

class Scanner {
  private i = 0;
  /** The window: the file's text from byte `base` on (ASCII, so a character's index is its byte's). */
  private text = '';
  private base = 0;
  /** The window reaches the end of the file. */
  whole = false;
  /** The file has what only JSON.parse may judge (control characters): no window will do. */
  broken = false;
  /** Where the next backslash is in the window: strings before it have no escapes. */
  private nextBackslash = Infinity;
  /** Open containers while a skipped value is checked: true for an object. */
  private readonly open: boolean[] = [];

  constructor(
    private readonly body: Buffer,
    private readonly windowSize: number,
  ) {}

  file(): TrailRecord[] {
    this.window(0, this.windowSize);
    let records: TrailRecord[] | undefined;
    this.objectStart();
    if (this.closes(CLOSE_OBJECT)) throw GIVE_UP;
    do {
      const key = this.key(TOP_KEYS);
      if (key === Key.Records) {
        if (records || this.peek() !== OPEN_ARRAY) throw GIVE_UP;
        records = this.records();
      } else {
        this.skipValue();
      }
    } while (this.next(CLOSE_OBJECT));
    this.space();
    if (this.i !== this.text.length || !this.whole || !records) throw GIVE_UP;
    return records;
  }

  /** Reads bytes `from` … `from + size` as the window, from its start. */
  private window(from: number, size: number): void {
    const end = Math.min(this.body.length, from + size);
    this.text = this.body.toString('latin1', from, end);
    this.base = from;
    this.whole = end === this.body.length;
    this.i = 0;
    this.open.length = 0;
    const backslash = this.text.indexOf('\\');
    this.nextBackslash = backslash < 0 ? Infinity : backslash;
    // CloudTrail writes compact JSON: a file with line breaks, tabs or other control characters is JSON.parse's
    if (CONTROL.test(this.text)) {
      this.broken = true;
      throw GIVE_UP;
    }
  }

  /** Moves the window to start at `at` (a record that ran past its end), twice as long when one was not enough. */
  private slide(at: number): boolean {
    if (this.whole || this.broken) return false;
    const from = this.base + at;
    this.window(from, Math.max(this.windowSize, 2 * (this.base + this.text.length - from)));
    return true;
  }

  private records(): TrailRecord[] {
    const records: TrailRecord[] = [];
    this.i++;
    if (this.closes(CLOSE_ARRAY)) return records;
    for (;;) {
      const start = this.i;
      try {
        if (this.peek() !== OPEN_OBJECT) throw GIVE_UP;
        const record = this.record();
        const more = this.next(CLOSE_ARRAY);
        records.push(record);
        if (!more) return records;
      } catch (error) {
        // past the window's end, or wrong: a longer window tells which
        if (error !== GIVE_UP || !this.slide(start)) throw error;
      }
    }
  }

  private record(): TrailRecord {
    const record: TrailRecord = {
      eventTime: undefined,
      eventSource: undefined,
      eventName: undefined,
      awsRegion: undefined,
      sourceIPAddress: undefined,
      errorCode: undefined,
      eventCategory: undefined,
      userIdentity: undefined,
      resources: undefined,
    };
    this.objectStart();
    if (this.closes(CLOSE_OBJECT)) return record;
    do {
      switch (this.key(RECORD_KEYS)) {
        case Key.EventTime:
          record.eventTime = this.scalar(UNIQUE);
          break;
        case Key.EventSource:
          record.eventSource = this.scalar();
          break;
        case Key.EventName:
          record.eventName = this.scalar();
          break;
        case Key.AwsRegion:
          record.awsRegion = this.scalar();
          break;
        case Key.SourceIPAddress:
          record.sourceIPAddress = this.scalar();
          break;
        case Key.ErrorCode:
          record.errorCode = this.scalar();
          break;
        case Key.EventCategory:
          record.eventCategory = this.scalar();
          break;
        case Key.UserIdentity:
          record.userIdentity = this.peek() === OPEN_OBJECT ? this.identity() : this.skipValue();
          break;
        case Key.Resources:
          record.resources = this.peek() === OPEN_ARRAY ? this.resources() : this.skipValue();
          break;
        default:
          this.skipValue();
      }
    } while (this.next(CLOSE_OBJECT));
    return record;
  }

  private identity(): Identity {
    const identity: Identity = { type: undefined, arn: undefined, sessionContext: undefined };
    this.objectStart();
    if (this.closes(CLOSE_OBJECT)) return identity;
    do {
      switch (this.key(IDENTITY_KEYS)) {
        case Key.Type:
          identity.type = this.scalar();
          break;
        case Key.Arn:
          identity.arn = this.scalar();
          break;
        case Key.SessionContext:
          identity.sessionContext = this.peek() === OPEN_OBJECT ? this.sessionContext() : this.skipValue();
          break;
        default:
          this.skipValue();
      }
    } while (this.next(CLOSE_OBJECT));
    return identity;
  }

  private sessionContext(): SessionContext {
    const context: SessionContext = { sessionIssuer: undefined };
    this.objectStart();
    if (this.closes(CLOSE_OBJECT)) return context;
    do {
      if (this.key(SESSION_KEYS) === Key.SessionIssuer)
        context.sessionIssuer = this.peek() === OPEN_OBJECT ? this.issuer() : this.skipValue();
      else this.skipValue();
    } while (this.next(CLOSE_OBJECT));
    return context;
  }

  private issuer(): NonNullable<SessionContext['sessionIssuer']> {
    const issuer: NonNullable<SessionContext['sessionIssuer']> = { arn: undefined };
    this.objectStart();
    if (this.closes(CLOSE_OBJECT)) return issuer;
    do {
      if (this.key(ISSUER_KEYS) === Key.Arn) issuer.arn = this.scalar();
      else this.skipValue();
    } while (this.next(CLOSE_OBJECT));
    return issuer;
  }

  private resources(): Resource[] {
    const resources: Resource[] = [];
    this.i++;
    if (this.closes(CLOSE_ARRAY)) return resources;
    do {
      if (this.peek() !== OPEN_OBJECT) {
        this.skipValue();
        resources.push(null as unknown as Resource); // `resource?.ARN` of a non-object is undefined
        continue;
      }
      const resource: Resource = { ARN: undefined };
      this.objectStart();
      if (!this.closes(CLOSE_OBJECT)) {
        do {
          if (this.key(RESOURCE_KEYS) === Key.ResourceArn) resource.ARN = this.scalar(UNIQUE);
          else this.skipValue();
        } while (this.next(CLOSE_OBJECT));
      }
      resources.push(resource);
    } while (this.next(CLOSE_ARRAY));
    return resources;
  }

  /* ---------- the JSON grammar ---------- */

  /** A member's key and its colon; keys with escapes are left to JSON.parse. */
  private key(known: KeyTable): Key {
    this.space();
    const { text } = this;
    if (text.charCodeAt(this.i) !== QUOTE) throw GIVE_UP;
    const start = this.i + 1;
    const end = text.indexOf('"', start);
    if (end < 0 || end > this.nextBackslash) throw GIVE_UP;
    this.i = end + 1;
    this.space();
    if (text.charCodeAt(this.i) !== COLON) throw GIVE_UP;
    this.i++;
    this.space();
    return known.find(text, start, end);
  }

  /** A key inside a skipped value: checked, never read. */
  private skipKey(): void {
    this.space();
    if (this.text.charCodeAt(this.i) !== QUOTE) throw GIVE_UP;
    this.string();
    this.space();
    if (this.text.charCodeAt(this.i) !== COLON) throw GIVE_UP;
    this.i++;
  }

  /** A value read as a string when it is one, else checked and skipped. */
  private scalar(recurs = true): string | typeof NOT_A_STRING {
    if (this.text.charCodeAt(this.i) !== QUOTE) {
      this.skipValue();
      return NOT_A_STRING;
    }
    const start = this.i;
    const escaped = this.string();
    if (escaped) return JSON.parse(this.text.slice(start, this.i)) as string;
    return recurs
      ? this.copy(start + 1, this.i - 1)
      : this.body.toString('latin1', this.base + start + 1, this.base + this.i - 1);
  }

  /**
   * The window's text from `start` to `end` as a string of its own. Most values recur from record to
   * record (event names, regions, callers' ARNs): those come from a table of earlier copies, looked up by
   * a slice of the window that dies young; only a value not met recently is copied out of the bytes.
   * Records then share their strings: less to copy at each young-generation GC and less promoted.
   */
  private copy(start: number, end: number): string {
    if (end - start > RECENT_VALUE_LENGTH) return this.body.toString('latin1', this.base + start, this.base + end);
    const known = RECENT_VALUES.get(this.text.slice(start, end));
    if (known !== undefined) return known;
    const value = this.body.toString('latin1', this.base + start, this.base + end);
    if (RECENT_VALUES.size >= RECENT_VALUES_MOST) RECENT_VALUES.clear();
    RECENT_VALUES.set(value, value);
    return value;
  }

  /**
   * Past a string starting at its quote; true when it holds escapes. The file has no control characters
   * (checked once), so a string without a backslash simply ends at the next quote.
   */
  private string(): boolean {
    const end = this.text.indexOf('"', this.i + 1);
    if (end < 0) throw GIVE_UP;
    if (end < this.nextBackslash) {
      this.i = end + 1;
      return false;
    }
    this.escapedString();
    if (this.i > this.nextBackslash) {
      const next = this.text.indexOf('\\', this.i);
      this.nextBackslash = next < 0 ? Infinity : next;
    }
    return true;
  }

  private escapedString(): void {
    const { text } = this;
    let i = this.i + 1;
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        const next = text.charCodeAt(i + 1);
        if (next === 117 /* u */) {
          for (let h = i + 2; h < i + 6; h++) if (!isHex(text.charCodeAt(h))) throw GIVE_UP;
          i += 6;
        } else if (
          next === QUOTE ||
          next === BACKSLASH ||
          next === 47 /* / */ ||
          next === 98 /* b */ ||
          next === 102 /* f */ ||
          next === 110 /* n */ ||
          next === 114 /* r */ ||
          next === 116 /* t */
        ) {
          i += 2;
        } else {
          throw GIVE_UP;
        }
        continue;
      }
      if (!(c >= 32)) throw GIVE_UP; // past the end (NaN)
      i++;
    }
    this.i = i + 1;
  }

  /** Checks any value and steps past it; `undefined` so a caller may store "not what was looked for". */
  private skipValue(): undefined {
    const { open } = this;
    const base = open.length;
    for (;;) {
      this.space();
      const c = this.text.charCodeAt(this.i);
      if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
        this.i++;
        this.space();
        if (this.text.charCodeAt(this.i) === (c === OPEN_OBJECT ? CLOSE_OBJECT : CLOSE_ARRAY)) {
          this.i++;
        } else {
          open.push(c === OPEN_OBJECT);
          if (c === OPEN_OBJECT) this.skipKey();
          continue;
        }
      } else if (c === QUOTE) {
        this.string();
      } else if (c === MINUS || (c >= ZERO && c <= NINE)) {
        this.number();
      } else if (!this.literal()) {
        throw GIVE_UP;
      }
      // after a value: close what is complete, or go on to the next member or element
      for (;;) {
        if (open.length === base) return undefined;
        this.space();
        const after = this.text.charCodeAt(this.i);
        const inObject = open[open.length - 1]!;
        if (after === COMMA) {
          this.i++;
          if (inObject) this.skipKey();
          break;
        }
        if (after === (inObject ? CLOSE_OBJECT : CLOSE_ARRAY)) {
          this.i++;
          open.pop();
          continue;
        }
        throw GIVE_UP;
      }
    }
  }

  private number(): void {
    const { text } = this;
    let i = this.i;
    if (text.charCodeAt(i) === MINUS) i++;
    const first = text.charCodeAt(i);
    if (first === ZERO) i++;
    else if (first > ZERO && first <= NINE) i = digitsFrom(text, i + 1);
    else throw GIVE_UP;
    if (text.charCodeAt(i) === DOT) {
      const end = digitsFrom(text, i + 1);
      if (end === i + 1) throw GIVE_UP;
      i = end;
    }
    const e = text.charCodeAt(i);
    if (e === 101 /* e */ || e === 69 /* E */) {
      i++;
      const sign = text.charCodeAt(i);
      if (sign === PLUS || sign === MINUS) i++;
      const end = digitsFrom(text, i);
      if (end === i) throw GIVE_UP;
      i = end;
    }
    this.i = i;
  }

  private literal(): boolean {
    for (const word of LITERALS) {
      if (this.text.startsWith(word, this.i)) {
        this.i += word.length;
        return true;
      }
    }
    return false;
  }

  private objectStart(): void {
    this.space();
    if (this.text.charCodeAt(this.i) !== OPEN_OBJECT) throw GIVE_UP;
    this.i++;
  }

  /** Steps past `close` when it comes next (an empty object or array). */
  private closes(close: number): boolean {
    this.space();
    if (this.text.charCodeAt(this.i) !== close) return false;
    this.i++;
    return true;
  }

  /** After a member or element: true for a comma (another follows), false past `close`. */
  private next(close: number): boolean {
    this.space();
    const c = this.text.charCodeAt(this.i);
    this.i++;
    if (c === COMMA) return true;
    if (c === close) return false;
    throw GIVE_UP;
  }

  private peek(): number {
    this.space();
    return this.text.charCodeAt(this.i);
  }

  private space(): void {
    const { text } = this;
    let i = this.i;
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 10 || c === 13 || c === 9) i++;
      else break;
    }
    this.i = i;
  }
}

function digitsFrom(text: string, at: number): number {
  let i = at;
  for (let c = text.charCodeAt(i); c >= ZERO && c <= NINE; c = text.charCodeAt(++i));
  return i;
}

function isHex(c: number): boolean {
  return (c >= ZERO && c <= NINE) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}
