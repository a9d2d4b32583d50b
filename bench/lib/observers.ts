import { EventEmitter } from 'node:events';
import { ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { paginateListAccountAssignments } from '@aws-sdk/client-sso-admin';
import type { LogMessage } from '../../activities/chat/log-notifier';
import { ACCOUNT_ID, APP_ROLE } from '../../test/support/fakes/aws-fixtures';
import type { Stack } from '../../test/support/stacks/stack';
import { now, sleep } from './clock';

/**
 * Watches what the cloud (moto) holds from the outside, as an operator would: one list call per poll,
 * so the watching cost does not grow with the number of leases watched. A key is "present at" the
 * end of the first poll that listed it and "gone at" the end of the first later poll that did not:
 * the real moment lies within one poll interval plus one list call before that.
 */
export class CloudObserver {
  private readonly seen = new Map<string, { presentAt?: number; goneAt?: number }>();
  private readonly events = new EventEmitter();
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly abort = new AbortController();
  polls = 0;
  private listMsTotal = 0;
  listMsMax = 0;
  lastListed = 0;
  lastError: unknown;

  constructor(
    readonly what: string,
    private readonly list: () => Promise<Set<string>>,
    readonly intervalMs: number,
  ) {
    this.events.setMaxListeners(0);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const started = now();
        try {
          const listed = await this.list();
          const at = now();
          this.polls++;
          this.listMsTotal += at - started;
          this.listMsMax = Math.max(this.listMsMax, at - started);
          this.lastListed = listed.size;
          for (const [key, state] of this.seen) {
            if (listed.has(key)) state.presentAt ??= at;
            else if (state.presentAt !== undefined) state.goneAt ??= at;
          }
        } catch (error) {
          this.lastError = error;
        }
        this.events.emit('poll');
        const wait = this.intervalMs - (now() - started);
        if (wait > 0) await sleep(wait, this.abort.signal).catch(() => undefined);
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.abort.abort();
    await this.loop;
    this.events.emit('poll');
  }

  get meanListMs(): number {
    return this.polls ? this.listMsTotal / this.polls : Number.NaN;
  }

  watch(key: string): void {
    if (!this.seen.has(key)) this.seen.set(key, {});
  }

  forget(key: string): void {
    this.seen.delete(key);
  }

  waitPresent(key: string, timeoutMs: number): Promise<number> {
    return this.waitFor(key, 'presentAt', timeoutMs);
  }

  waitGone(key: string, timeoutMs: number): Promise<number> {
    return this.waitFor(key, 'goneAt', timeoutMs);
  }

  private waitFor(key: string, field: 'presentAt' | 'goneAt', timeoutMs: number): Promise<number> {
    this.watch(key);
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const at = this.seen.get(key)?.[field];
        if (at === undefined) return false;
        cleanup();
        resolve(at);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(`${this.what}: ${key} not ${field === 'presentAt' ? 'present' : 'gone'} after ${timeoutMs} ms`),
        );
      }, timeoutMs);
      const onPoll = (): void => {
        if (!check() && !this.running) {
          cleanup();
          reject(new Error(`${this.what} stopped before ${key} was ${field === 'presentAt' ? 'present' : 'gone'}`));
        }
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        this.events.off('poll', onPoll);
      };
      if (check()) return;
      this.events.on('poll', onPoll);
    });
  }
}

/** Lease inline policies (least-<request id>) on the application role: one ListRolePolicies per poll. */
export function inlinePolicyObserver(stack: Stack, intervalMs: number): CloudObserver {
  return new CloudObserver(
    `ListRolePolicies(${APP_ROLE})`,
    async () => {
      const listed = await stack.aws.iam.send(new ListRolePoliciesCommand({ RoleName: APP_ROLE }));
      return new Set(listed.PolicyNames ?? []);
    },
    intervalMs,
  );
}

/** Identity Store user ids holding an account assignment of one permission set: ListAccountAssignments, all pages. */
export function assignmentObserver(stack: Stack, permissionSetArn: string, intervalMs: number): CloudObserver {
  return new CloudObserver(
    'ListAccountAssignments',
    async () => {
      const users = new Set<string>();
      const pages = paginateListAccountAssignments(
        { client: stack.aws.ssoAdmin },
        { InstanceArn: stack.account.instanceArn, AccountId: ACCOUNT_ID, PermissionSetArn: permissionSetArn },
      );
      for await (const page of pages)
        for (const assignment of page.AccountAssignments ?? [])
          if (assignment.PrincipalId) users.add(assignment.PrincipalId);
      return users;
    },
    intervalMs,
  );
}

/**
 * What people are told, as it is told: the stack's LogNotifier appends to `stack.messages`; this
 * wraps that array's push so each notice's delivery time is known without polling anything.
 */
export class NoticeBoard {
  private readonly first = new Map<string, number>();
  private readonly events = new EventEmitter();

  constructor(messages: LogMessage[]) {
    this.events.setMaxListeners(0);
    const push = messages.push.bind(messages);
    messages.push = (...items: LogMessage[]): number => {
      const at = now();
      for (const item of items) {
        const key = `${item.requestId}|${item.kind}`;
        if (!this.first.has(key)) {
          this.first.set(key, at);
          this.events.emit(key, at);
        }
      }
      return push(...items);
    };
  }

  /** When the first notice of this kind for this request was delivered (to anyone). */
  wait(requestId: string, kind: LogMessage['kind'], timeoutMs: number): Promise<number> {
    const key = `${requestId}|${kind}`;
    const known = this.first.get(key);
    if (known !== undefined) return Promise.resolve(known);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.events.off(key, onNotice);
        reject(new Error(`no "${kind}" notice for ${requestId} within ${timeoutMs} ms`));
      }, timeoutMs);
      const onNotice = (at: number): void => {
        clearTimeout(timer);
        resolve(at);
      };
      this.events.once(key, onNotice);
    });
  }

  count(kind: LogMessage['kind'], requestIds: Iterable<string>): number {
    let n = 0;
    for (const id of requestIds) if (this.first.has(`${id}|${kind}`)) n++;
    return n;
  }
}
