/**
 * @module read-capped
 * Reads a request or response body chunk by chunk up to a byte cap, then stops (cancelling the rest of the transfer).
 * Memory stays within the cap plus one chunk, whatever the API sends: a 2 GB body or an endless stream
 * costs no more than a small one. The cap counts decoded bytes (Bun inflates gzip/br bodies as they come),
 * so a compression bomb is cut like any other large body.
 */

export interface CappedBody {
  /** The bytes kept: at most the cap. */
  readonly bytes: Uint8Array;
  /** `true` when the body had more than the cap (the rest was not read). */
  readonly truncated: boolean;
  /** The body's full size when the API declared it (`Content-Length`) and there is no content coding. */
  readonly declaredLength?: number;
}

/** A body with its headers: a `Request` or a `Response`. */
export type Message = Pick<Response, 'body' | 'headers'> & Partial<Pick<Response, 'bytes'>>;

/** Reads `response`'s body, keeping at most `cap` bytes. Rejects when `signal` aborts meanwhile. */
export async function readCapped(response: Message, cap: number, signal?: AbortSignal): Promise<CappedBody> {
  const declared = declaredLength(response);
  // A body whose declared length fits cannot grow past it: one native read beats a chunk loop in JS.
  // Checked before touching `body`, which makes Bun build a stream that the read then has to go through.
  if (declared !== undefined && declared <= cap && response.bytes) {
    const bytes = await untilAborted(response.bytes(), signal);
    return { bytes, truncated: false, declaredLength: declared };
  }
  if (!response.body) return { bytes: new Uint8Array(0), truncated: false, declaredLength: declared };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  const onAbort = () => void reader.cancel(signal?.reason).catch(() => {});
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      signal?.throwIfAborted();
      const { done, value } = await reader.read();
      if (done) break;
      if (size + value.length > cap) {
        chunks.push(value.subarray(0, cap - size));
        size = cap;
        truncated = true;
        break;
      }
      chunks.push(value);
      size += value.length;
    }
    signal?.throwIfAborted();
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (truncated) await reader.cancel().catch(() => {});
    else reader.releaseLock();
  }
  return { bytes: concat(chunks, size), truncated, declaredLength: declared };
}

function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Drops a body without reading it, so its connection is freed. */
export async function discard(response: Message): Promise<void> {
  await response.body?.cancel().catch(() => {});
}

/** The body's size as declared (`Content-Length`), when there is no content coding to change it. */
export function declaredLength(response: Pick<Message, 'headers'>): number | undefined {
  if (response.headers.has('content-encoding')) return undefined;
  const value = Number(response.headers.get('content-length') ?? NaN);
  return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

function concat(chunks: readonly Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}
