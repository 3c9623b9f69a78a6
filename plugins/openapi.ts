/**
 * openapi.ts — more APIs behind the same gateway, from the configuration, no code needed. The gateway's own
 * API (PORTICO_UPSTREAM, PORTICO_SPEC or the document found at the upstream) is always served; each API
 * listed here adds its tools, named with its prefix. Off until configured:
 *
 *   pluginSettings:
 *     openapi:
 *       apis:
 *         - name: billing
 *           spec: https://billing.internal/openapi.json      # a path or an http(s) URL, refreshed like PORTICO_SPEC
 *           upstream: https://billing.internal/v2             # every call goes there and nowhere else
 *           prefix: billing_
 *           credential: user                                  # the signed-in user's own credential goes to it too
 *         - name: status
 *           spec: ./status-openapi.yaml
 *           upstream: https://status.example.com
 *           prefix: status_
 *           credential: { headers: { X-API-Key: "…" } }       # the same for everyone (keep it in a *_FILE setting)
 */
import type { ApiSource, PluginApi } from './portico';

export default function openapi(api: PluginApi): void {
  const { apis, ...rest } = api.settings;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw new Error(`unknown setting${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; the only one is "apis"`);
  if (apis === undefined) return;
  if (!Array.isArray(apis)) throw new Error('settings.apis must be a list of { name, spec, upstream, prefix, credential }');
  apis.forEach((entry, index) => {
    if (!entry || typeof entry !== 'object') throw new Error(`apis[${index}] must be an object { name, spec, upstream, prefix, credential }`);
    // addApi checks every field and says what is wrong with it
    api.addApi(entry as ApiSource);
  });
  api.log.info('apis_added', { apis: apis.map((entry) => (entry as ApiSource).name).join(',') });
}
