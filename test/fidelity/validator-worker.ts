/**
 * The validating upstream (./validator) in a worker thread, so that Prism's work (reading the document, compiling
 * and running its checks) runs beside the gateway's instead of taking turns with it on one thread.
 */
import { startValidatingUpstream, type ValidatingUpstream, type Verdict } from './validator';

/** Each question carries an id, and its answer the same one. */
export type ToWorker = { id: number } & ({ type: 'start'; file: string } | { type: 'ready' } | { type: 'verdicts'; from: number } | { type: 'stop' });
export type FromWorker = { id: number } & (
  | { type: 'started'; url: string }
  | { type: 'ready'; operations: number }
  | { type: 'failed'; error: string }
  | { type: 'verdicts'; verdicts: Verdict[] }
  | { type: 'stopped' }
);

declare const self: Worker;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

let upstream: ValidatingUpstream | undefined;


self.onmessage = async (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  const answer = (reply: DistributiveOmit<FromWorker, 'id'>) => self.postMessage({ ...reply, id: message.id });
  if (message.type === 'start') {
    upstream = startValidatingUpstream(message.file);
    answer({ type: 'started', url: upstream.url });
  } else if (message.type === 'ready') {
    try {
      answer({ type: 'ready', operations: await upstream!.ready });
    } catch (error) {
      answer({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    }
  } else if (message.type === 'verdicts') answer({ type: 'verdicts', verdicts: upstream?.verdicts.slice(message.from) ?? [] });
  else {
    upstream?.stop();
    answer({ type: 'stopped' });
  }
};
