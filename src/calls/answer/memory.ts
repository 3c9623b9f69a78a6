/**
 * @module calls/answer/memory
 * Whole answers kept in this process, for a gateway without sign-in (which has no store: nothing else of it outlives
 * a call). One instance answers every call then, so nothing needs sharing. Bounded: past `maxBytes` the oldest
 * answers go first, and expired ones go whenever one is added.
 */
import type { AnswerStore, StoredAnswer } from '../../store/contract';
import { StoreConflictError } from '../../store/errors';

/** What the kept answers may take in all, by default: 64 answers of the largest response the proxy passes on (1 MiB). */
export const DEFAULT_MEMORY_BYTES = 64 * 1024 * 1024;

export class MemoryAnswers implements AnswerStore {
  /** In insertion order, so the first is the oldest. */
  private readonly answers = new Map<string, StoredAnswer>();
  private bytes = 0;

  constructor(private readonly maxBytes = DEFAULT_MEMORY_BYTES) {}

  async putAnswer(answer: StoredAnswer): Promise<void> {
    if (this.answers.has(answer.id)) throw new StoreConflictError(`an answer with the id ${answer.id} is kept already`);
    for (const [id, kept] of this.answers) {
      if (kept.expiresAt > answer.createdAt && this.bytes + answer.body.length <= this.maxBytes) break;
      this.answers.delete(id);
      this.bytes -= kept.body.length;
    }
    this.answers.set(answer.id, { ...answer, body: answer.body.slice() });
    this.bytes += answer.body.length;
  }

  async getAnswer(id: string, now: number): Promise<StoredAnswer | null> {
    const answer = this.answers.get(id);
    return answer && now < answer.expiresAt ? answer : null;
  }
}
