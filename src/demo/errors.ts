/**
 * @module demo/errors
 * Every 4xx and 5xx of the demo API is one `httperr.Error` body, `{ code, message, details? }`. Handlers throw an
 * `ApiError`; `errorHandler` is the one place that turns it (and Elysia's own errors) into a response.
 */
import { Elysia } from 'elysia';

/** `httperr.FieldError`: one problem with one field, named by its JSON path (`size_gb`, `member_of[0]`). */
export interface FieldError {
  field: string;
  message: string;
}

/** `httperr.Error`, the body of every error response. */
export interface ErrorBody {
  code: string;
  message: string;
  details?: FieldError[];
}

/** The machine-readable `code` of each kind of error the demo API sends. */
export type ErrorCode =
  /** 400: the body is not JSON, or not an object. */
  | 'bad_request'
  /** 400: `from`/`to` of the metrics endpoint are reversed or too far apart. */
  | 'invalid_range'
  /** 401: no bearer token, an unknown one or an expired one. */
  | 'unauthorized'
  /** 401: the same answer for an unknown email and a wrong password. */
  | 'invalid_credentials'
  /** 401: an ID token of the OpenID provider that does not verify (signature, issuer, audience, expiry, email). */
  | 'invalid_token'
  /** 400: a delegated sign-in's code that is unknown, expired, already redeemed or for another redirect_uri. */
  | 'invalid_code'
  /** 403: not a member of the organization, a role too low for the action, or a managed role. */
  | 'forbidden'
  /** 404: an id or name that does not exist (or not where the path says). */
  | 'not_found'
  /** 404: no such route (Elysia's NOT_FOUND), as opposed to an unknown id. */
  | 'route_not_found'
  /** 409: a name already used. */
  | 'name_taken'
  /** 409: the database is provisioning, updating, restoring or being deleted. */
  | 'database_busy'
  /** 409: a project that still has databases. */
  | 'project_not_empty'
  /** 409: a manual backup of this database is still running. */
  | 'backup_in_progress'
  /** 409: only completed backups can be restored. */
  | 'backup_not_completed'
  /** 422: the request does not match the document; `details` names each field. */
  | 'validation_failed'
  /** 500: a bug in the demo API; nothing about it is shown. */
  | 'internal';

/** An error answer: thrown by handlers, written by `errorHandler`. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly details?: FieldError[],
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(message);
  }

  toBody(): ErrorBody {
    return this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message };
  }
}

export const notFound = (what: string, id: string): ApiError => new ApiError(404, 'not_found', `${what} ${id} not found`);

export const forbidden = (message: string): ApiError => new ApiError(403, 'forbidden', message);

export const conflict = (code: ErrorCode, message: string): ApiError => new ApiError(409, code, message);

export const badRequest = (message: string, code: ErrorCode = 'bad_request', details?: FieldError[]): ApiError =>
  new ApiError(400, code, message, details);

/** 422 naming every field in `details`; the message lists them too, for clients that show only the message. */
export function validationFailed(details: FieldError[]): ApiError {
  const summary = details.map((detail) => `${detail.field} ${detail.message}`).join('; ');
  return new ApiError(422, 'validation_failed', `invalid request: ${summary}`, details);
}

/** The 404 of a path no route serves; also used by routes that exist only after `/_demo/extend`. */
export const routeNotFound = (method: string, path: string): ApiError =>
  new ApiError(404, 'route_not_found', `no route for ${method} ${path}`);

/**
 * Writes every error as `httperr.Error`. Global on purpose: the root app uses it once, and it must cover the
 * routes of every module, including Elysia's own NOT_FOUND for paths no module serves.
 */
export const errorHandler = () =>
  new Elysia({ name: 'demo/errors' }).error({ API_ERROR: ApiError }).onError({ as: 'global' }, function writeError({ code, error, request, set }) {
    let answer: ApiError;
    if (error instanceof ApiError) answer = error;
    else if (code === 'NOT_FOUND') answer = routeNotFound(request.method, new URL(request.url).pathname);
    else if (code === 'PARSE') answer = badRequest('the request body is not valid JSON');
    else {
      // A bug in the demo itself: say so on stderr, show nothing of it to the client.
      console.error('demo api: unhandled error', error);
      answer = new ApiError(500, 'internal', 'internal error');
    }
    set.status = answer.status;
    set.headers['content-type'] = 'application/json; charset=utf-8';
    for (const [name, value] of Object.entries(answer.headers ?? {})) set.headers[name] = value;
    return answer.toBody();
  });
