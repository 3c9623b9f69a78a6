/**
 * @module mcp/sse
 * One Server-Sent Events stream of `/mcp`, in either era: JSON-RPC messages as `message` events, a comment now
 * and then so that proxies and idle timeouts do not close a quiet stream, and an end. A write to a client that went
 * away ends the stream; nothing is written after the end.
 */

const encoder = new TextEncoder();

export class SseWriter {
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  private readonly readable: ReadableStream<Uint8Array>;
  private keepalive: ReturnType<typeof setInterval> | undefined;
  private ended = false;
  /** Called once when the stream ends, whoever ended it. */
  onClose?: () => void;

  /** `opened`: a comment is written at once, so that the answer's headers reach a client that may wait long for a first message. */
  constructor(options: { keepaliveMs?: number; opened?: boolean } = {}) {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    this.readable = readable;
    this.writer = writable.getWriter();
    if (options.opened) void this.write(': open\n\n');
    if (options.keepaliveMs) {
      this.keepalive = setInterval(() => void this.write(': keepalive\n\n'), options.keepaliveMs);
      this.keepalive.unref?.();
    }
  }

  get closed(): boolean {
    return this.ended;
  }

  /** The HTTP answer carrying this stream. */
  response(headers: Record<string, string> = {}): Response {
    return new Response(this.readable, { headers: { ...headers, 'content-type': 'text/event-stream', 'cache-control': 'no-cache' } });
  }

  /** One message; resolves when written (or at once, when the stream has ended). */
  send(message: unknown): Promise<void> {
    return this.sendJson(JSON.stringify(message));
  }

  /** One message already written as JSON. */
  sendJson(json: string): Promise<void> {
    return this.write(`event: message\ndata: ${json}\n\n`);
  }

  close(): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.keepalive);
    void this.writer.close().catch(() => {});
    this.onClose?.();
  }

  private async write(text: string): Promise<void> {
    if (this.ended) return;
    try {
      await this.writer.write(encoder.encode(text));
    } catch {
      this.close();
    }
  }
}
