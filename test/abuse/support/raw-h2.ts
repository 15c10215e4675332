/**
 * An HTTP/2 client that writes frames by hand, for the attacks no well-behaved
 * client library sends: HEADERS followed at once by RST_STREAM (rapid reset),
 * thousands of streams that never finish, a preface cut in half. Each call
 * queues frames; flush() writes them in one go, as an attacker would.
 * Incoming frames are parsed enough to see RST_STREAM and GOAWAY.
 */
import net from "node:net";

export const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

export const FRAME = { DATA: 0x0, HEADERS: 0x1, RST_STREAM: 0x3, SETTINGS: 0x4, GOAWAY: 0x7 } as const;
const END_STREAM = 0x1;
const END_HEADERS = 0x4;
const ACK = 0x1;

export const SETTING = { MAX_CONCURRENT_STREAMS: 0x3, INITIAL_WINDOW_SIZE: 0x4, MAX_HEADER_LIST_SIZE: 0x6 } as const;

export const H2_ERROR = { NO_ERROR: 0x0, INTERNAL_ERROR: 0x2, REFUSED_STREAM: 0x7, CANCEL: 0x8, ENHANCE_YOUR_CALM: 0xb } as const;

export interface Frame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

export interface Goaway {
  lastStreamId: number;
  code: number;
}

export class RawH2Connection {
  readonly received: Frame[] = [];
  /** Settles when the server closes the connection (or it breaks). */
  readonly closed: Promise<void>;
  #queued: Buffer[] = [];
  #inbound = Buffer.alloc(0);
  #nextStreamId = 1;

  private constructor(
    readonly socket: net.Socket,
    readonly authority: string,
  ) {
    this.closed = new Promise((resolve) => socket.once("close", () => resolve()));
    socket.on("error", () => {});
    socket.on("data", (chunk: Buffer) => this.#read(chunk));
  }

  /** Connects and sends the preface with empty SETTINGS; `settings` overrides them (id → value). */
  static async connect(port: number, settings: Record<number, number> = {}): Promise<RawH2Connection> {
    const socket = net.connect(port, "127.0.0.1");
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    const connection = new RawH2Connection(socket, `127.0.0.1:${port}`);
    const entries = Object.entries(settings);
    const payload = Buffer.alloc(6 * entries.length);
    entries.forEach(([id, value], index) => {
      payload.writeUInt16BE(Number(id), index * 6);
      payload.writeUInt32BE(value, index * 6 + 2);
    });
    socket.write(Buffer.concat([PREFACE, frame(FRAME.SETTINGS, 0, 0, payload)]));
    return connection;
  }

  get isClosed(): boolean {
    return this.socket.destroyed;
  }

  /** The next client stream id (odd, increasing). */
  nextStreamId(): number {
    const id = this.#nextStreamId;
    this.#nextStreamId += 2;
    return id;
  }

  /** Queues a gRPC POST's HEADERS on a new stream; returns its id. */
  request(path: string, options: { endStream?: boolean; extraHeaders?: Record<string, string> } = {}): number {
    const id = this.nextStreamId();
    const block = grpcRequestHeaders(path, this.authority, options.extraHeaders ?? {});
    this.#queued.push(frame(FRAME.HEADERS, END_HEADERS | (options.endStream ? END_STREAM : 0), id, block));
    return id;
  }

  /** Queues a DATA frame carrying `body` on `streamId`. */
  data(streamId: number, body: Uint8Array, endStream: boolean): void {
    this.#queued.push(frame(FRAME.DATA, endStream ? END_STREAM : 0, streamId, Buffer.from(body)));
  }

  /** Queues RST_STREAM for `streamId`. */
  reset(streamId: number, code: number = H2_ERROR.CANCEL): void {
    const payload = Buffer.alloc(4);
    payload.writeUInt32BE(code);
    this.#queued.push(frame(FRAME.RST_STREAM, 0, streamId, payload));
  }

  /** Writes everything queued in one write; resolves when the socket took it (false once closed). */
  flush(): Promise<boolean> {
    const bytes = Buffer.concat(this.#queued);
    this.#queued = [];
    if (this.socket.destroyed || this.socket.writableEnded) return Promise.resolve(false);
    return new Promise((resolve) => this.socket.write(bytes, (error) => resolve(!error)));
  }

  /** Waits until the server's SETTINGS have arrived (and been acknowledged): from then on they bind this connection. */
  async serverSettings(timeoutMs = 2_000): Promise<Map<number, number>> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const settings = this.received.find((received) => received.type === FRAME.SETTINGS && (received.flags & ACK) === 0);
      if (settings) {
        const values = new Map<number, number>();
        for (let at = 0; at + 6 <= settings.payload.length; at += 6) values.set(settings.payload.readUInt16BE(at), settings.payload.readUInt32BE(at + 2));
        return values;
      }
      if (performance.now() > deadline || this.isClosed) throw new Error("no SETTINGS from the server");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** The server's GOAWAY, if one arrived. */
  goaway(): Goaway | undefined {
    const found = this.received.find((received) => received.type === FRAME.GOAWAY);
    if (!found) return undefined;
    return { lastStreamId: found.payload.readUInt32BE(0) & 0x7fffffff, code: found.payload.readUInt32BE(4) };
  }

  /** RST_STREAM frames the server sent, with their codes. */
  resets(): { streamId: number; code: number }[] {
    return this.received
      .filter((received) => received.type === FRAME.RST_STREAM)
      .map((received) => ({ streamId: received.streamId, code: received.payload.readUInt32BE(0) }));
  }

  destroy(): void {
    this.socket.destroy();
  }

  #read(chunk: Buffer): void {
    this.#inbound = Buffer.concat([this.#inbound, chunk]);
    while (this.#inbound.length >= 9) {
      const length = this.#inbound.readUIntBE(0, 3);
      if (this.#inbound.length < 9 + length) return;
      const received: Frame = {
        type: this.#inbound[3]!,
        flags: this.#inbound[4]!,
        streamId: this.#inbound.readUInt32BE(5) & 0x7fffffff,
        payload: this.#inbound.subarray(9, 9 + length),
      };
      this.#inbound = this.#inbound.subarray(9 + length);
      this.received.push(received);
      if (received.type === FRAME.SETTINGS && (received.flags & ACK) === 0 && !this.socket.destroyed) {
        this.socket.write(frame(FRAME.SETTINGS, ACK, 0, Buffer.alloc(0)));
      }
    }
  }
}

export function frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(9);
  header.writeUIntBE(payload.length, 0, 3);
  header[3] = type;
  header[4] = flags;
  header.writeUInt32BE(streamId, 5);
  return Buffer.concat([header, payload]);
}

/**
 * An HPACK block for a gRPC request, without Huffman coding or the dynamic
 * table: static-table indexes for :method POST and :scheme http, literal
 * fields (never indexed) for the rest.
 */
function grpcRequestHeaders(path: string, authority: string, extra: Record<string, string>): Buffer {
  const METHOD_POST = 0x83;
  const SCHEME_HTTP = 0x86;
  const parts: Buffer[] = [Buffer.from([METHOD_POST, SCHEME_HTTP])];
  const literal = (name: string, value: string) => parts.push(Buffer.from([0x10]), hpackString(name), hpackString(value));
  literal(":path", path);
  literal(":authority", authority);
  literal("content-type", "application/grpc");
  literal("te", "trailers");
  for (const [name, value] of Object.entries(extra)) literal(name, value);
  return Buffer.concat(parts);
}

/** An HPACK string literal: 7-bit prefixed length (no Huffman), then the bytes. */
function hpackString(text: string): Buffer {
  const bytes = Buffer.from(text, "latin1");
  const length: number[] = [];
  if (bytes.length < 127) {
    length.push(bytes.length);
  } else {
    length.push(127);
    let rest = bytes.length - 127;
    while (rest >= 128) {
      length.push((rest & 0x7f) | 0x80);
      rest >>= 7;
    }
    length.push(rest);
  }
  return Buffer.concat([Buffer.from(length), bytes]);
}
