/**
 * A JSON document is parsed from a text of ASCII only, its other characters written as `\u` escapes
 * (src/catalog/ascii-json.ts: the engine then keeps it, and every string cut from it, at one byte a character).
 *
 * The invariant: for any bytes, `parseBody` gives the value the bytes decoded as they are give (UTF-8, broken
 * sequences replaced, a byte-order mark dropped), read as JSON or else YAML; a document that fails gives the same
 * error. What changes is only the text kept for a JSON document, which is ASCII and parses to that same value.
 */
import { afterAll, expect, test } from 'bun:test';
import { MCP_HEADERS } from '../fixtures/oauth-http';
import { startTestGateway } from '../fixtures/gateway';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseBody, parseText, readSource, type ParsedDocument } from '../../src/catalog/source';
import { oas30, removeTempDirs, seededRandom, tempDir } from './helpers';

afterAll(removeTempDirs);

const URI = 'file:///spec.json';
const utf8 = (text: string) => new TextEncoder().encode(text);

/** What the bytes decoded as they are parse to, or the message they fail with. */
function exact(bytes: Uint8Array): { value: unknown } | { error: string } {
  try {
    return { value: parseText(new TextDecoder().decode(bytes), URI).value };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

const files = tempDir();
let fileCount = 0;

/** `parseBody` of the bytes, checked against `exact`, as given and as `readSource` reads them from a file; the file's result. */
async function expectSameAsDecoded(bytes: Uint8Array): Promise<ParsedDocument | undefined> {
  const expected = exact(bytes);
  const path = join(files, `${++fileCount}.json`);
  await Bun.write(path, bytes);
  const outcomes = [() => parseBody(bytes, URI), async () => parseBody((await readSource(pathToFileURL(path).href))!.body, URI)];
  let parsed: ParsedDocument | undefined;
  for (const outcome of outcomes) {
    try {
      parsed = await outcome();
    } catch (error) {
      expect({ error: (error as Error).message }).toEqual(expected as { error: string });
      continue;
    }
    expect({ value: parsed.value }).toEqual(expected as { value: unknown });
    if (parsed.json) expect(JSON.parse(parsed.text)).toEqual(parsed.value);
  }
  return parsed;
}

const ascii = (text: string) => /^[\x00-\x7f]*$/.test(text);

test('JSON with characters of every UTF-8 length, in keys and values, is parsed from an ASCII text to the same value', async () => {
  const samples = ['café', 'naïve ümlaut ß', '€ ☕ 中文 ‘quotes’ — dash', '😀 𝄞 🇫🇷', '\u2028\u2029 line separators', '\uFEFF inside', 'ÿ\u0100\u07ff\u0800\uffff'];
  for (const sample of samples) {
    const document = { openapi: '3.0.3', info: { title: sample, version: '1' }, [`key ${sample}`]: [sample, { [sample]: sample }] };
    for (const text of [JSON.stringify(document), JSON.stringify(document, null, 2), `\uFEFF${JSON.stringify(document)}`, `  \n\t[${JSON.stringify(document)}]`]) {
      const parsed = (await expectSameAsDecoded(utf8(text)))!;
      expect(parsed.json).toBe(true);
      expect(ascii(parsed.text)).toBe(true);
    }
  }
});

test('a character cut by a scan chunk’s edge (16 KiB) is read whole, at every offset around the edge', async () => {
  for (let pad = 16 * 1024 - 24; pad <= 16 * 1024 + 4; pad++) {
    for (const character of ['é', '€', '😀']) {
      const text = `{"a":"${'x'.repeat(pad)}${character}${character}","b":"${character}"}`;
      const parsed = (await expectSameAsDecoded(utf8(text)))!;
      expect(ascii(parsed.text)).toBe(true);
    }
  }
});

test('random documents: the same value as decoding the bytes as they are', async () => {
  const pool = ['a', ' ', '"', '\\', '\n', 'é', 'ß', '€', '中', '😀', '\u2028', '\u0080', '\u07ff', '\u0800', '\uffff', '\u{10ffff}'];
  const random = seededRandom(7);
  for (let round = 0; round < 300; round++) {
    const word = () => Array.from({ length: random(12) }, () => pool[random(pool.length)]).join('');
    const document = Object.fromEntries(Array.from({ length: 1 + random(6) }, () => [word(), random(2) ? word() : [word(), { [word()]: word() }]]));
    const parsed = (await expectSameAsDecoded(utf8(JSON.stringify(document))))!;
    expect(parsed.json && ascii(parsed.text)).toBe(true);
  }
});

test('bytes that are not well-formed UTF-8 are read as decoding reads them (each broken sequence one U+FFFD)', async () => {
  const broken = [
    [0x80], // a continuation byte alone
    [0xc0, 0x80], // an overlong form of U+0000
    [0xe0, 0x80, 0x80], // an overlong three-byte form
    [0xed, 0xa0, 0x80], // a surrogate
    [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
    [0xf5, 0x80], // no such lead byte
    [0xe2, 0x82], // a character cut short
    [0xc3], // cut short at the very end of the string
  ];
  for (const sequence of broken) {
    const bytes = new Uint8Array([...utf8('{"title":"a'), ...sequence, ...utf8('b"}')]);
    const parsed = (await expectSameAsDecoded(bytes))!;
    expect(JSON.stringify(parsed.value)).toContain('\uFFFD');
  }
  // a document ending inside a character: not JSON, and said so as for the bytes decoded
  await expectSameAsDecoded(new Uint8Array([...utf8('{"title":"a"}'), 0xe2, 0x82]));
});

test('YAML that starts like JSON is read from its own characters: escapes would change what a plain or single-quoted scalar says', async () => {
  const yamlish = [
    "{ title: Café au lait, note: 'naïve €' } # über",
    '{ "openapi": "3.0.3", title: Crème brûlée, }',
    "[ 'ü', plain ß, \"quoted é\" ]",
  ];
  for (const text of yamlish) {
    const parsed = (await expectSameAsDecoded(utf8(text)))!;
    expect(parsed.json).toBe(false);
    expect(parsed.text).toBe(text);
  }
  expect((parseBody(utf8(yamlish[0]!), URI).value as { title: string }).title).toBe('Café au lait');
});

test('YAML, and documents that parse as neither, are untouched: the same value or the same message', async () => {
  for (const text of ['openapi: 3.0.3\ninfo:\n  title: Café\n', 'title: "é', '{"title": "é"', '{"a": 1} trailing ü', '', '   ']) {
    const parsed = await expectSameAsDecoded(utf8(text));
    if (parsed) expect(parsed.text).toBe(text);
  }
});

test('over HTTP: a spec with accents, emoji and CJK serves them exactly in tools/list, and a call reaches the API', async () => {
  const api = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: (request) => Response.json({ path: decodeURIComponent(new URL(request.url).pathname) }) });
  const dir = tempDir();
  const description = 'Liste les cafés ☕ — «naïve» 😀 中文';
  const document = oas30({
    '/cafés/{nom}': {
      get: {
        operationId: 'listeCafés',
        summary: 'Cafés près de chez vous 😀',
        description,
        parameters: [{ name: 'nom', in: 'path', required: true, description: 'Le nom, p. ex. «Crème»', schema: { type: 'string', enum: ['Crème', '抹茶'] } }],
        responses: { '200': { description: 'OK' } },
      },
    },
  });
  await Bun.write(`${dir}/openapi.json`, JSON.stringify(document, null, 2));
  const gw = await startTestGateway({ PORTICO_AUTH: 'none', PORTICO_MCP_MODE: 'stateless', PORTICO_TOOL_MODE: 'all', PORTICO_PLUGINS: tempDir(), PORTICO_UPSTREAM: `http://127.0.0.1:${api.port}`, PORTICO_SPEC: `${dir}/openapi.json` });
  try {
    const rpc = async (method: string, params: Record<string, unknown>) => ((await (await fetch(gw.mcpUrl, { method: 'POST', headers: MCP_HEADERS, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) })).json()) as { result: Record<string, unknown> }).result;
    const { tools } = (await rpc('tools/list', {})) as { tools: { name: string; title: string; description: string; inputSchema: { properties: Record<string, { description: string; enum: string[] }> } }[] };
    expect(tools).toHaveLength(1);
    expect(tools[0]!.title).toBe('Cafés près de chez vous 😀');
    expect(tools[0]!.description).toContain(description);
    expect(tools[0]!.inputSchema.properties.nom).toMatchObject({ description: 'Le nom, p. ex. «Crème»', enum: ['Crème', '抹茶'] });
    const called = (await rpc('tools/call', { name: tools[0]!.name, arguments: { nom: '抹茶' } })) as { content: { text: string }[] };
    expect(JSON.parse(called.content[0]!.text)).toEqual({ path: '/cafés/抹茶' });
  } finally {
    await gw.stop();
    api.stop(true);
  }
});
