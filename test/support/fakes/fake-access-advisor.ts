import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * IAM Access Advisor for tests: moto answers `GenerateServiceLastAccessedDetails` with NotImplemented,
 * so this server on 127.0.0.1 answers that and `GetServiceLastAccessedDetails` in IAM's query protocol,
 * as AWS does (a job IN_PROGRESS on its first poll, then COMPLETED; reports paged by `MaxItems` and
 * `Marker`; one `Throttling` error when asked), and forwards every other request to moto, so one
 * endpoint serves the IAM client and every other client of a system.
 */

export interface TrackedAction {
  actionName: string;
  lastAccessedTime?: Date;
  region?: string;
}

export interface ServiceAccess {
  serviceName: string;
  serviceNamespace: string;
  lastAuthenticated?: Date;
  /** Present for services whose actions Access Advisor tracks. */
  trackedActions?: TrackedAction[];
}

export interface FakeAccessAdvisor {
  url: string;
  /** What the report on an identity ARN says; identities not set report no services. */
  setReport(arn: string, services: ServiceAccess[]): void;
  /** The next GetServiceLastAccessedDetails call answers `Throttling` (HTTP 400), once. */
  throttleOnce(): void;
  /** Jobs whose report says FAILED (e.g. the entity was deleted meanwhile). */
  failJobsFor(arn: string): void;
  calls: { action: string; status: number; jobStatus?: string }[];
  close(): Promise<void>;
}

interface Job {
  arn: string;
  granularity: string;
  createdAt: Date;
  polls: number;
}

const NS = 'https://iam.amazonaws.com/doc/2010-05-08/';

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function element(name: string, value: string | number | boolean | Date | undefined): string {
  if (value === undefined) return '';
  const text = value instanceof Date ? value.toISOString().replace(/\.\d{3}Z$/, 'Z') : String(value);
  return `<${name}>${escapeXml(text)}</${name}>`;
}

function envelope(action: string, result: string): string {
  return (
    `<${action}Response xmlns="${NS}"><${action}Result>${result}</${action}Result>` +
    `<ResponseMetadata><RequestId>${crypto.randomUUID()}</RequestId></ResponseMetadata></${action}Response>`
  );
}

function errorXml(code: string, message: string): string {
  return (
    `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error>` +
    `<RequestId>${crypto.randomUUID()}</RequestId></ErrorResponse>`
  );
}

function serviceXml(service: ServiceAccess, granularity: string): string {
  const tracked =
    granularity === 'ACTION_LEVEL' && service.trackedActions
      ? `<TrackedActionsLastAccessed>${service.trackedActions
          .map(
            (action) =>
              `<member>${element('ActionName', action.actionName)}${element('LastAccessedTime', action.lastAccessedTime)}` +
              `${element('LastAccessedRegion', action.lastAccessedTime ? (action.region ?? 'us-east-1') : undefined)}</member>`,
          )
          .join('')}</TrackedActionsLastAccessed>`
      : '';
  return (
    `<member>${element('ServiceName', service.serviceName)}${element('ServiceNamespace', service.serviceNamespace)}` +
    `${element('LastAuthenticated', service.lastAuthenticated)}` +
    `${element('TotalAuthenticatedEntities', service.lastAuthenticated ? 1 : 0)}${tracked}</member>`
  );
}

export async function startFakeAccessAdvisor(motoUrl: string): Promise<FakeAccessAdvisor> {
  const reports = new Map<string, ServiceAccess[]>();
  const failing = new Set<string>();
  const jobs = new Map<string, Job>();
  const calls: FakeAccessAdvisor['calls'] = [];
  let throttle = false;

  const answer = (params: URLSearchParams): { status: number; body: string; jobStatus?: string } => {
    const action = params.get('Action')!;
    if (action === 'GenerateServiceLastAccessedDetails') {
      const arn = params.get('Arn') ?? '';
      if (!/^arn:aws[a-z-]*:iam::\d{12}:(role|user|group|policy)\//.test(arn))
        return { status: 400, body: errorXml('InvalidInput', `ARN ${arn} is not valid.`) };
      const jobId = crypto.randomUUID();
      jobs.set(jobId, {
        arn,
        granularity: params.get('Granularity') ?? 'SERVICE_LEVEL',
        createdAt: new Date(),
        polls: 0,
      });
      return { status: 200, body: envelope(action, element('JobId', jobId)) };
    }
    if (throttle) {
      throttle = false;
      return { status: 400, body: errorXml('Throttling', 'Rate exceeded') };
    }
    const job = jobs.get(params.get('JobId') ?? '');
    if (!job) return { status: 404, body: errorXml('NoSuchEntity', `No such job: ${params.get('JobId')}`) };
    const header = element('JobType', job.granularity) + element('JobCreationDate', job.createdAt);
    // AWS takes a while to build a report: the first poll finds it still running
    if (job.polls++ === 0) {
      return {
        status: 200,
        jobStatus: 'IN_PROGRESS',
        body: envelope(action, element('JobStatus', 'IN_PROGRESS') + header + '<ServicesLastAccessed/>'),
      };
    }
    const completed = header + element('JobCompletionDate', new Date(job.createdAt.getTime() + 1000));
    if (failing.has(job.arn)) {
      return {
        status: 200,
        jobStatus: 'FAILED',
        body: envelope(
          action,
          element('JobStatus', 'FAILED') +
            completed +
            `<Error><Message>Entity ${escapeXml(job.arn)} no longer exists</Message><Code>EntityNotFound</Code></Error><ServicesLastAccessed/>`,
        ),
      };
    }
    const services = reports.get(job.arn) ?? [];
    const maxItems = Number(params.get('MaxItems') ?? '') || 2; // small pages, so paging is always exercised
    const start = Number(params.get('Marker') ?? '0') || 0;
    const slice = services.slice(start, start + maxItems);
    const truncated = start + maxItems < services.length;
    return {
      status: 200,
      jobStatus: 'COMPLETED',
      body: envelope(
        action,
        element('JobStatus', 'COMPLETED') +
          completed +
          `<ServicesLastAccessed>${slice.map((s) => serviceXml(s, job.granularity)).join('')}</ServicesLastAccessed>` +
          element('IsTruncated', truncated) +
          (truncated ? element('Marker', String(start + maxItems)) : ''),
      ),
    };
  };

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const contentType = request.headers['content-type'] ?? '';
      const params = contentType.includes('x-www-form-urlencoded')
        ? new URLSearchParams(body.toString('utf8'))
        : undefined;
      const action = params?.get('Action');
      if (action === 'GenerateServiceLastAccessedDetails' || action === 'GetServiceLastAccessedDetails') {
        const { status, body: xml, jobStatus } = answer(params!);
        calls.push({ action, status, jobStatus });
        response.writeHead(status, { 'content-type': 'text/xml' });
        response.end(xml);
        return;
      }
      forward(motoUrl, request, body).then(
        (upstream) => {
          response.writeHead(upstream.status, upstream.headers);
          response.end(upstream.body);
        },
        (error: Error) => {
          response.writeHead(502, { 'content-type': 'text/plain' });
          response.end(error.message);
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    setReport: (arn, services) => void reports.set(arn, services),
    throttleOnce: () => void (throttle = true),
    failJobsFor: (arn) => void failing.add(arn),
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Passes a request to moto as it came (S3 bodies are binary: nothing is decoded). */
async function forward(
  motoUrl: string,
  request: http.IncomingMessage,
  body: Buffer,
): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (typeof value === 'string' && !['host', 'content-length', 'connection', 'transfer-encoding'].includes(name))
      headers[name] = value;
  }
  const upstream = await fetch(`${motoUrl}${request.url}`, {
    method: request.method,
    headers,
    body: body.length && request.method !== 'GET' && request.method !== 'HEAD' ? body : undefined,
  });
  const answer: Record<string, string> = {};
  upstream.headers.forEach((value, name) => {
    if (!['content-length', 'content-encoding', 'transfer-encoding', 'connection'].includes(name)) answer[name] = value;
  });
  return { status: upstream.status, headers: answer, body: Buffer.from(await upstream.arrayBuffer()) };
}
