/**
 * @module wire/input-required
 * What a request can need from the client before it can be answered: the user's answer (elicitation), the
 * client's model (sampling), the client's roots. MCP's two eras ask differently — the 2025 revisions send the
 * client a request of their own on the session's stream and wait; 2026-07-28 ends the request with an
 * `InputRequiredResult` and serves it again, from the start, once the client retries with the answers — so
 * plugins ask through one function (`RequestExtra.ask`) and each era's protocol layer answers it its way.
 *
 * Ground level: a policy hook, a tool's handler or a prompt may ask from deep inside plugins and the call
 * pipeline, and every layer between must let these two through untouched (they are not a plugin's failure).
 */

/** The requests a server may make of a client. */
export type InputMethod = 'elicitation/create' | 'sampling/createMessage' | 'roots/list';

export interface InputRequest {
  readonly method: InputMethod;
  readonly params: Record<string, unknown>;
}

/** The client capability each input request needs (what it declared it can do). */
export const CAPABILITY_OF: Readonly<Record<InputMethod, 'elicitation' | 'sampling' | 'roots'>> = {
  'elicitation/create': 'elicitation',
  'sampling/createMessage': 'sampling',
  'roots/list': 'roots',
};

/**
 * Thrown by `ask` in a 2026-07-28 request whose answers are not all in yet: the request ends here, and the
 * protocol layer answers with an `InputRequiredResult` carrying `requests` (keyed as the client must answer them).
 */
export class InputRequired extends Error {
  constructor(readonly requests: Readonly<Record<string, InputRequest>>) {
    super(`the client must answer ${Object.keys(requests).join(', ')} first`);
    this.name = 'InputRequired';
  }
}

/** Thrown by `ask` when the request cannot go on without a capability the client did not declare (MCP -32021). */
export class MissingClientCapability extends Error {
  constructor(readonly capabilities: readonly ('elicitation' | 'sampling' | 'roots')[]) {
    super(`this request needs the client to support ${capabilities.join(', ')}, which it did not declare`);
    this.name = 'MissingClientCapability';
  }
}

/** Thrown when the client's answers cannot be taken (a changed or expired `requestState`, an answer of the wrong shape): MCP's Invalid Params. */
export class InvalidInput extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidInput';
  }
}

/** Whether `error` is one of those that must pass through every layer to the protocol layer. */
export function isProtocolSignal(error: unknown): error is InputRequired | MissingClientCapability | InvalidInput {
  return error instanceof InputRequired || error instanceof MissingClientCapability || error instanceof InvalidInput;
}
