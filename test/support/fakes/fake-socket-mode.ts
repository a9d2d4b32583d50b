import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * Slack's Socket Mode end, small enough to read: a WebSocket server (RFC 6455 handshake and text,
 * ping and close frames) that says `hello`, sends envelopes, and collects the app's acks. The app's
 * real SocketModeClient (@slack/socket-mode) connects to it through `apps.connections.open`.
 */
export class FakeSocketMode {
  private readonly sockets = new Set<Socket>();
  private readonly acks = new Map<string, (payload: unknown) => void>();
  private connected?: () => void;
  private readonly ready = new Promise<void>((resolve) => (this.connected = resolve));
  private sequence = 0;

  private constructor(private readonly server: http.Server) {
    server.on('upgrade', (req, socket: Socket) => this.accept(req, socket));
  }

  static async start(): Promise<FakeSocketMode> {
    const fake = new FakeSocketMode(http.createServer((_, res) => res.writeHead(426).end()));
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}/link`;
  }

  /** Resolves once an app has connected and been greeted. */
  waitConnected(timeoutMs = 10_000): Promise<void> {
    return Promise.race([
      this.ready,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('no Socket Mode client connected')), timeoutMs).unref(),
      ),
    ]);
  }

  /** Sends an envelope (`slash_commands`, `interactive`, `events_api`) and resolves with the app's ack payload. */
  send(type: string, payload: Record<string, unknown>, timeoutMs = 10_000): Promise<unknown> {
    const envelopeId = `env-${++this.sequence}`;
    const acked = new Promise<unknown>((resolve, reject) => {
      this.acks.set(envelopeId, resolve);
      setTimeout(() => reject(new Error(`no ack for ${envelopeId}`)), timeoutMs).unref();
    });
    for (const socket of this.sockets)
      writeFrame(
        socket,
        0x1,
        Buffer.from(
          JSON.stringify({
            envelope_id: envelopeId,
            type,
            payload,
            accepts_response_payload: true,
            retry_attempt: 0,
            retry_reason: '',
          }),
        ),
      );
    return acked;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(req: http.IncomingMessage, socket: Socket): void {
    const key = req.headers['sec-websocket-key'];
    if (typeof key !== 'string') return void socket.destroy();
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => this.sockets.delete(socket));
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (let frame = readFrame(buffered); frame; frame = readFrame(buffered)) {
        buffered = buffered.subarray(frame.size);
        if (frame.opcode === 0x9) writeFrame(socket, 0xa, frame.payload);
        else if (frame.opcode === 0x8) socket.end();
        else if (frame.opcode === 0x1) this.receive(frame.payload.toString('utf8'));
      }
    });
    writeFrame(
      socket,
      0x1,
      Buffer.from(
        JSON.stringify({
          type: 'hello',
          num_connections: 1,
          debug_info: { host: 'fake' },
          connection_info: { app_id: 'A0LEAST' },
        }),
      ),
    );
    this.connected?.();
  }

  private receive(text: string): void {
    const message = JSON.parse(text) as { envelope_id?: string; payload?: unknown };
    if (message.envelope_id) this.acks.get(message.envelope_id)?.(message.payload);
  }
}

function writeFrame(socket: Socket, opcode: number, payload: Buffer): void {
  const length = payload.length;
  const head =
    length < 126
      ? Buffer.from([0x80 | opcode, length])
      : length < 65536
        ? Buffer.from([0x80 | opcode, 126, length >> 8, length & 0xff])
        : Buffer.concat([Buffer.from([0x80 | opcode, 127]), bigLength(length)]);
  socket.write(Buffer.concat([head, payload]));
}

function bigLength(length: number): Buffer {
  const buffer = Buffer.alloc(8);
  buffer.writeBigUInt64BE(BigInt(length));
  return buffer;
}

/** One client frame (always masked), or undefined until it has fully arrived. */
function readFrame(buffer: Buffer): { opcode: number; payload: Buffer; size: number } | undefined {
  if (buffer.length < 2) return undefined;
  const opcode = buffer[0]! & 0x0f;
  let length = buffer[1]! & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (buffer.length < 4) return undefined;
    length = buffer.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (buffer.length < 10) return undefined;
    length = Number(buffer.readBigUInt64BE(2));
    offset = 10;
  }
  const masked = (buffer[1]! & 0x80) !== 0;
  const maskAt = offset;
  if (masked) offset += 4;
  if (buffer.length < offset + length) return undefined;
  const payload = Buffer.from(buffer.subarray(offset, offset + length));
  if (masked) for (let i = 0; i < payload.length; i++) payload[i]! ^= buffer[maskAt + (i % 4)]!;
  return { opcode, payload, size: offset + length };
}
