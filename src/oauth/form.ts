/**
 * @module oauth/form
 * Reads an `application/x-www-form-urlencoded` body with a size cap, so a 20 MB POST to a sign-in or token
 * endpoint costs no more than a small one.
 */
import { readCapped } from '../read-capped';

/** Form bodies here are a few hundred bytes; 64 KiB leaves room for long redirect URIs and client ids. */
export const MAX_FORM_BYTES = 64 * 1024;

/** The form, or null when the body is over `maxBytes`. */
export async function readForm(request: Request, maxBytes = MAX_FORM_BYTES): Promise<URLSearchParams | null> {
  const body = await readCapped(request, maxBytes);
  if (body.truncated || (body.declaredLength ?? 0) > maxBytes) return null;
  return new URLSearchParams(new TextDecoder().decode(body.bytes));
}
