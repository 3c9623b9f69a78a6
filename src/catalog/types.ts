/**
 * @module catalog/types
 * The catalog's data model: what a tool looks like to an MCP client, and what the proxy needs to call
 * the operation behind it.
 */
import type { AnswerArguments, BudgetHints } from './answer-arguments';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';

/** A JSON Schema object as published to clients. Schemas are plain JSON: never mutate a shared one. */
export type JsonSchema = { [keyword: string]: unknown };

/** Scopes form a ladder: `admin ⊃ write ⊃ read`. */
export type Scope = 'read' | 'write' | 'admin';
export const SCOPES: readonly Scope[] = ['read', 'write', 'admin'];

/** Where an argument travels in the upstream request. */
export type ParameterLocation = 'path' | 'query' | 'header' | 'cookie';

/** One tool argument bound to an OpenAPI parameter. */
export interface ParameterBinding {
  /** The property name in the tool's input schema. */
  readonly argument: string;
  /** The parameter's name on the wire (may differ from `argument` after disambiguation). */
  readonly name: string;
  readonly in: ParameterLocation;
  readonly required: boolean;
  /** OpenAPI serialization style (`form`, `simple`, `deepObject`, `spaceDelimited`, `pipeDelimited`…). */
  readonly style: string;
  readonly explode: boolean;
  /**
   * Query only: OpenAPI's `allowReserved`, reserved characters sent as they are rather than percent-encoded
   * (absent means false).
   */
  readonly allowReserved?: boolean;
  /**
   * For a parameter described by `content` rather than `schema`: the media type its value is written in (JSON
   * as JSON text), before its location's own encoding; `style` and `explode` then do not apply.
   */
  readonly contentType?: string;
}

/**
 * How one field of a form body is written: OpenAPI 3's Encoding Object (its `headers` aside), or Swagger 2.0's
 * `collectionFormat` of a `formData` parameter. With any of `style`, `explode`, `allowReserved` set, the field
 * follows the query parameter rules; without them, its media type (`contentType` or the default for its type).
 */
export interface FieldEncoding {
  readonly contentType?: string;
  readonly style?: string;
  readonly explode?: boolean;
  readonly allowReserved?: boolean;
}

/** How the request body is assembled from the arguments. */
export type BodyBinding =
  | {
      /** The body is an object whose properties are individual arguments. */
      readonly mode: 'fields';
      readonly contentType: string;
      readonly required: boolean;
      /** argument name → body property name */
      readonly fields: readonly { readonly argument: string; readonly name: string }[];
      /** Form bodies: body property name → how it is written (absent: the defaults). */
      readonly encoding?: Readonly<Record<string, FieldEncoding>>;
    }
  | {
      /** The whole body is one argument (`body`), for arrays, scalars, unions and free-form maps. */
      readonly mode: 'whole';
      readonly contentType: string;
      readonly required: boolean;
      readonly argument: string;
      /** Form bodies: property name of the argument's object → how it is written (absent: the defaults). */
      readonly encoding?: Readonly<Record<string, FieldEncoding>>;
    };

/** The operation behind a tool: everything the proxy needs. */
export interface OperationTarget {
  readonly method: string;
  /** The path template as written in the document, e.g. `/pets/{petId}`. */
  readonly path: string;
  readonly operationId?: string;
  /** Base URL from `servers` / `host`+`basePath`; may be relative (resolved against the upstream). */
  readonly serverUrl: string;
  readonly tags: readonly string[];
  /** The operation's `x-` extensions (e.g. `x-internal`), for plugins' rules. */
  readonly extensions: Readonly<Record<string, unknown>>;
  readonly parameters: readonly ParameterBinding[];
  readonly body?: BodyBinding;
  /** True when the tool's output schema wraps a non-object response as `{ result: … }`. */
  readonly wrapsResult: boolean;
  /** The arguments the gateway added to the tool and consumes itself (`catalog/answer-arguments`); absent: none. */
  readonly answerArguments?: AnswerArguments;
}

/** One published tool and the operation it calls. */
export interface CatalogEntry {
  readonly tool: Tool;
  readonly target: OperationTarget;
  /** The least scope a token needs to see and call this tool. */
  readonly scope: Scope;
  /** The API a plugin added (`addApi`) it belongs to; absent for the gateway's own API. */
  readonly api?: string;
}

/** An operation that could not become a tool, and why. */
export interface SkippedOperation {
  /** `METHOD /path` (and the operationId, where there is one). */
  readonly operation: string;
  readonly reason: string;
}

/**
 * An operation kept out of the tools because it hands out credentials (Portico's own sign-in, or one a rule
 * marks), with what the sign-in needs to know of it.
 */
export interface WithheldOperation extends SkippedOperation {
  readonly method: string;
  /** The path template as written in the document. */
  readonly path: string;
  readonly operationId?: string;
  /** Its server URL, as in `OperationTarget` (absent when the operation could not be read). */
  readonly serverUrl?: string;
  /** Its request body's schema, converted as the tools' input schemas are; absent when it has none (or it cannot be read). */
  readonly body?: { readonly contentType: string; readonly schema: JsonSchema };
}

/** A built catalog: immutable once published. */
export interface Catalog {
  readonly title: string;
  readonly version: string;
  /** `2.0`, `3.0.3`, `3.1.0`… as declared by the document. */
  readonly specVersion: string;
  /** Operations found in the document (skipped ones included). */
  readonly operationCount: number;
  readonly entries: readonly CatalogEntry[];
  readonly byName: ReadonlyMap<string, CatalogEntry>;
  readonly skipped: readonly SkippedOperation[];
  /** Operations that work but are never tools: they hand out credentials (not counted in `skipped`). */
  readonly withheld: readonly WithheldOperation[];
  /** Non-fatal remarks about the document (cut cycles, ignored parameters…). */
  readonly warnings: readonly string[];
}

/** Options that shape how tools are built. */
export interface BuildOptions {
  /**
   * Longest tool name to publish. Clients prefix names with their own (Claude Code's `mcp__server__`),
   * so a deployment may lower this.
   * @default 64
   */
  readonly maxNameLength?: number;
  /** @default 1024 */
  readonly maxDescriptionLength?: number;
  /**
   * Most schema nodes an input schema may have when written out; beyond it, nested `$ref`s become
   * stubs. Specs whose types link to each other (Stripe, Kubernetes) otherwise produce megabytes per tool.
   * @default 1000
   */
  readonly maxInputSchemaNodes?: number;
  /** The same for output schemas, which matter less to a model. @default 250 */
  readonly maxOutputSchemaNodes?: number;
  /**
   * The operations Portico signs users in with, as `METHOD /path` (the path as in the document, or with the
   * server's base path in front): withheld, never tools. @default none
   */
  readonly signInOperations?: readonly string[];
  /**
   * The headers the deployment's credential travels in (`Authorization`, an `X-Api-Key`…): a header parameter of
   * that name is never a tool argument, as the gateway would never send it. @default none (`Authorization` and the
   * transport's headers are left out always: `NEVER_SENT_HEADERS`)
   */
  readonly credentialHeaders?: readonly string[];
  /**
   * Other operations that issue credentials, as `METHOD /path` or operationIds: withheld too, like every operation
   * the document marks `x-portico-credentials: true`. @default none
   */
  readonly credentialOperations?: readonly string[];
  /**
   * Add the gateway's own arguments to read operations' tools, `fields` and `pages` (`catalog/answer-arguments`): what
   * the gateway serves (`portico serve`, `tools`, `check` all ask for them). @default false (the document's tools as written)
   */
  readonly answerArguments?: boolean;
  /** The answer budgets served (`PORTICO_ANSWER_BUDGET[S]`): a tool allowed more than clients take by default says so in its `_meta`. */
  readonly answerBudgets?: BudgetHints;
}
