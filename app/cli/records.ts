import { PgStore } from '../../activities/store/pg-store';
import { RequestStatus } from '../../domain/request';
import { loadConfig } from '../config';
import { oneLine } from './text';
import { usage, type Invocation } from './usage';

/** Commands on the system of record alone: PostgreSQL, never Temporal. */

const STATUSES: readonly string[] = Object.values(RequestStatus);

export async function list({ values, json, print }: Invocation): Promise<number> {
  const statuses = values.status?.split(',').map((s) => s.trim().toLowerCase());
  const unknown = statuses?.find((s) => !STATUSES.includes(s));
  if (unknown !== undefined) usage(`--status "${unknown.slice(0, 40)}" is not one of ${STATUSES.join(', ')}`);
  const limit = Number(values.limit ?? 50);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) usage('--limit is a whole number from 1 to 1000');
  return withStore(async (store) => {
    const records = await store.listRequests({
      ...(values.as ? { requester: values.as.toLowerCase() } : {}),
      ...(values.approver ? { approver: values.approver.toLowerCase() } : {}),
      ...(statuses ? { statuses: statuses as RequestStatus[] } : {}),
      limit,
    });
    if (json) print(JSON.stringify(records.map((r) => r.state)));
    else if (records.length === 0) print('no requests');
    else records.forEach((r) => print(oneLine(r.state)));
    return 0;
  });
}

export async function migrate({ json, print }: Invocation): Promise<number> {
  return withStore(async (store) => {
    const applied = await store.migrate();
    if (json) print(JSON.stringify({ applied }));
    else print(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
    return 0;
  });
}

export async function verifyAudit({ json, print }: Invocation): Promise<number> {
  return withStore(async (store) => {
    const result = await store.verifyAudit();
    if (json) print(JSON.stringify(result));
    else if (result.ok) print(`audit log intact: ${result.rows} rows verified`);
    else result.problems.forEach((p) => print(p.problem));
    return result.ok ? 0 : 1;
  });
}

async function withStore(use: (store: PgStore) => Promise<number>): Promise<number> {
  const store = PgStore.connect(loadConfig().databaseUrl);
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}
