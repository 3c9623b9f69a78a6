/**
 * @module mcp/round
 * One round of a 2026-07-28 request that may ask the client (tools/call, prompts/get, resources/read): the
 * answers it starts with — those of earlier rounds, from the sealed `requestState`, and the client's
 * `inputResponses` — and the `ask` that answers from them or ends the round with `InputRequired`. An answer is
 * checked when a question takes it: one of the wrong shape for what was asked is refused, naming the key; answers
 * no question takes are ignored (the revision asks servers to ignore what they do not recognise, and a client
 * may answer before it is asked, without a state). Asking is the client's to show to its user either way.
 */
import type { Memo, RequestExtra } from '../plugins/context';
import { CAPABILITY_OF, InputRequired, InvalidInput, MissingClientCapability, type InputMethod, type InputRequest } from '../wire/input-required';
import { isRecord } from './messages';
import type { RequestStates, RoundState, StateBinding } from './request-state';

const NO_ANSWERS: Readonly<Record<string, unknown>> = Object.freeze({});

export class Round {
  private kept: readonly unknown[] = [];
  /** What the request keeps from one round to the next besides answers (`RequestExtra.memo`). */
  readonly memo: Memo;

  private constructor(
    /** Every answer in so far, by key. */
    readonly answers: Readonly<Record<string, unknown>>,
    private readonly capabilities: Readonly<Record<string, unknown>>,
    earlier: readonly unknown[] = [],
  ) {
    this.memo = {
      earlier,
      keep: (entries) => {
        this.kept = entries;
      },
    };
  }

  /** The round `params` start: the first (no state, no responses) or the next one. Throws `InvalidInput`. */
  static begin(params: Record<string, unknown>, capabilities: Record<string, unknown>, states: RequestStates, binding: StateBinding): Round {
    const { requestState, inputResponses } = params;
    // the first round of nearly every request: nothing to open or merge
    if (requestState === undefined && inputResponses === undefined) return new Round(NO_ANSWERS, capabilities);
    let state: RoundState = { answers: {} };
    if (requestState !== undefined) {
      const opened = typeof requestState === 'string' ? states.open(requestState, binding) : undefined;
      if (!opened) throw new InvalidInput('"requestState" is not one this server gave for this request: it was changed, has expired (after 15 minutes), or belongs to another request or user. Send the request again without it.');
      state = opened;
    }
    if (inputResponses !== undefined && !isRecord(inputResponses)) throw new InvalidInput('"inputResponses" must be an object of answers by the keys of the inputRequests');
    return new Round({ ...state.answers, ...inputResponses }, capabilities, state.memo);
  }

  /** The `ask` of this round (`RequestExtra.ask`). */
  readonly ask: NonNullable<RequestExtra['ask']> = async (requests, options) => {
    const missing = [...new Set(Object.values(requests).map((request) => CAPABILITY_OF[request.method]).filter((capability) => !isRecord(this.capabilities[capability])))];
    if (options?.required && missing.length > 0) throw new MissingClientCapability(missing);
    const found: Record<string, unknown> = {};
    const open: Record<string, InputRequest> = {};
    for (const [key, request] of Object.entries(requests)) {
      if (!isRecord(this.capabilities[CAPABILITY_OF[request.method]])) continue;
      if (!(key in this.answers)) {
        open[key] = request;
        continue;
      }
      const problem = shapeProblem(request.method, this.answers[key]);
      if (problem) throw new InvalidInput(`inputResponses["${key}"] ${problem}`);
      found[key] = this.answers[key];
    }
    if (Object.keys(open).length > 0) throw new InputRequired(open);
    return found;
  };

  /** The state to hand the client with the next questions: the answers so far, and what the request kept. */
  next(): RoundState {
    return { answers: this.answers, memo: this.kept };
  }
}

/** What is wrong with `response` as an answer to a `method` request, or undefined. */
function shapeProblem(method: InputMethod, response: unknown): string | undefined {
  if (!isRecord(response)) return 'must be an object (the result of the request it answers)';
  if (method === 'elicitation/create') {
    if (response.action !== 'accept' && response.action !== 'decline' && response.action !== 'cancel') return 'must be an elicitation result: { action: "accept" | "decline" | "cancel", content? }';
    if (response.content !== undefined && !isRecord(response.content)) return 'has "content" that is not an object';
    return undefined;
  }
  if (method === 'sampling/createMessage') {
    if ((response.role !== 'assistant' && response.role !== 'user') || !isRecord(response.content)) return 'must be a sampling result: { role, content, model }';
    return undefined;
  }
  if (!Array.isArray(response.roots)) return 'must be a roots/list result: { roots: [...] }';
  return undefined;
}
