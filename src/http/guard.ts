/**
 * @module http/guard
 * DNS-rebinding protection and CORS: a browser page on another origin must neither reach a gateway on
 * localhost nor read its answers, unless the deployment lists that origin. The Host allow-list holds for
 * every route (`http/front` applies it); the Origin check and CORS are `/mcp`'s. Refusals are `Refusal`s,
 * worded in the route's dialect by `http/answers`.
 */
import { Refusal } from '../wire/refusal';

export interface GuardOptions {
  /** Host headers accepted (host[:port], lowercase). */
  readonly allowedHosts: readonly string[];
  /** Origins that may call from a browser (CORS) — e.g. the web MCP Inspector. */
  readonly allowedOrigins: readonly string[];
}

const EXPOSED = 'Mcp-Session-Id, Mcp-Protocol-Version, WWW-Authenticate';
const ALLOWED_HEADERS = 'Authorization, Content-Type, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID';

/** Why the request's Host is refused (a sentence saying what to set), or null when it is one of ours. */
export function hostProblem(request: Request, options: GuardOptions): string | null {
  const host = request.headers.get('host')?.toLowerCase();
  if (host && options.allowedHosts.includes(host)) return null;
  return `Host "${host ?? ''}" is not allowed; set PORTICO_PUBLIC_URL or PORTICO_ALLOWED_HOSTS to the name clients use`;
}

/** Why the request is refused, or null when it may go on. */
export function refuseRequest(request: Request, options: GuardOptions): Refusal | null {
  const host = hostProblem(request, options);
  if (host) return forbidden(host);
  const origin = request.headers.get('origin');
  if (origin && !options.allowedOrigins.includes(origin) && !isOwnOrigin(origin, options)) {
    return forbidden(`Origin "${origin}" is not allowed; list it in PORTICO_ALLOWED_ORIGINS to let browser clients from it connect`);
  }
  return null;
}

/** A page served from the gateway's own address is not a cross-site request. */
function isOwnOrigin(origin: string, options: GuardOptions): boolean {
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && options.allowedHosts.includes(url.host.toLowerCase());
  } catch {
    return false;
  }
}

/** The answer to a CORS preflight. */
export function preflight(request: Request, options: GuardOptions): Response {
  const origin = request.headers.get('origin');
  if (!origin || !options.allowedOrigins.includes(origin)) return new Response(null, { status: 403 });
  return new Response(null, {
    status: 204,
    headers: {
      'access-control-allow-origin': origin,
      'access-control-allow-methods': 'GET, POST, DELETE, OPTIONS',
      'access-control-allow-headers': ALLOWED_HEADERS,
      'access-control-expose-headers': EXPOSED,
      'access-control-max-age': '600',
      vary: 'Origin',
    },
  });
}

/** Adds the CORS headers for an allowed origin to a response. */
export function withCors(request: Request, response: Response, options: GuardOptions): Response {
  const origin = request.headers.get('origin');
  if (!origin || !options.allowedOrigins.includes(origin)) return response;
  response.headers.set('access-control-allow-origin', origin);
  response.headers.set('access-control-expose-headers', EXPOSED);
  response.headers.append('vary', 'Origin');
  return response;
}

/** A 403 for a Host or Origin not served: the same refusal on every route, in its dialect. */
export function forbidden(message: string): Refusal {
  return new Refusal(403, message, { oauth: 'invalid_request' });
}
