/**
 * @module catalog/errors
 * A document that cannot be read or understood. Messages name the problem and where it is, because the
 * person reading them is fixing someone else's spec.
 */

export type SpecErrorCode =
  /** The file or URL could not be read. */
  | 'SPEC_UNREADABLE'
  /** Neither JSON nor YAML. */
  | 'SPEC_PARSE'
  /** Parsed, but not an OpenAPI/Swagger document we can use. */
  | 'SPEC_INVALID'
  /** A `$ref` points at nothing. */
  | 'SPEC_REF_DANGLING'
  /** A `$ref` leads only to other `$ref`s, round in a circle. */
  | 'SPEC_REF_LOOP'
  /** A `$ref` points at a place the document may not make us read. */
  | 'SPEC_REF_REFUSED';

export class SpecError extends Error {
  override readonly name = 'SpecError';
  constructor(
    readonly code: SpecErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
