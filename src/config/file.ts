/**
 * @module config/file
 * The config file: `portico.json`, `portico.yaml` or `portico.yml` in the working directory, or the file named by
 * `--config` / `PORTICO_CONFIG`. Its keys are the settings' camelCase names and its values are typed (a number is
 * a number, a list is a list). A file that cannot be parsed is reported with the line and column; an unknown key
 * with the closest known one; a value of the wrong type with the key, what was expected and what was found.
 */
import { readFileSync, statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import type { TSchema } from '@sinclair/typebox';
import { ConfigError } from './errors';
import { didYouMean } from './suggest';
import { isMapping, mismatch, misfit } from './values';

/** Looked for, in this order, in the working directory when no file is named. */
export const DEFAULT_CONFIG_FILES = ['portico.json', 'portico.yaml', 'portico.yml'] as const;

export interface ConfigFile {
  /** The file as messages name it: as given, or the default file's name. */
  readonly label: string;
  /** Absolute path. */
  readonly path: string;
  /** Settings by key; keys set to null are left out (unset). */
  readonly values: Readonly<Record<string, unknown>>;
}

/**
 * The config file to read: the one `named` (it must exist; `source` is the flag or variable that named it), else
 * the default file in `cwd` if there is one, else null.
 */
export function locateConfigFile(named: { path: string; source: string } | undefined, cwd: string): { path: string; label: string } | null {
  if (named) {
    const path = resolve(cwd, named.path);
    const kind = fileKind(path);
    if (kind === 'missing') throw new ConfigError(`${named.source} names the config file "${named.path}", which does not exist${named.path === path ? '' : ` (${path})`}`);
    if (kind === 'folder') throw new ConfigError(`${named.source} names "${named.path}", which is a folder, not a config file`);
    return { path, label: named.path };
  }
  const found = DEFAULT_CONFIG_FILES.filter((name) => fileKind(resolve(cwd, name)) === 'file');
  if (found.length > 1) throw new ConfigError(`${found.join(' and ')} are both in ${cwd}: keep one, or name the one to use with --config`);
  return found[0] ? { path: resolve(cwd, found[0]), label: found[0] } : null;
}

/**
 * Reads and checks a config file against the settings' schemas (`properties`). `secret(key)` says whose values
 * must never be repeated in a message.
 */
export function readConfigFile(file: { path: string; label: string }, properties: Readonly<Record<string, TSchema>>, secret: (key: string) => boolean): ConfigFile {
  const { path, label } = file;
  let text: string;
  try {
    text = readFileSync(path, 'utf8').replace(/^\uFEFF/, '');
  } catch (error) {
    throw new ConfigError(`${label}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const parsed = extname(path).toLowerCase() === '.json' ? parseJson(text, label) : parseYaml(text, label);
  if (parsed === null || parsed === undefined) return { label, path, values: {} };
  if (!isMapping(parsed)) throw new ConfigError(`${label} must hold a mapping of settings (like {"upstream": "https://…"}), but holds ${Array.isArray(parsed) ? 'a list' : `a single ${typeof parsed}`}`);

  const known = Object.keys(properties);
  const values: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(parsed)) {
    const schema = properties[key];
    if (!schema || !Object.hasOwn(properties, key)) throw new ConfigError(`${label}: unknown setting "${key}"${didYouMean(key, known, 'portico')}`);
    if (value === null) continue;
    const found = misfit(schema, value);
    if (found) throw new ConfigError(`${label}: "${found.path ? `${key}${found.path.startsWith('[') ? '' : '.'}${found.path}` : key}" ${mismatch(found, secret(key))}`);
    values[key] = value;
  }
  return { label, path, values };
}

function fileKind(path: string): 'file' | 'folder' | 'missing' {
  try {
    return statSync(path).isDirectory() ? 'folder' : 'file';
  } catch {
    return 'missing';
  }
}

function parseYaml(text: string, label: string): unknown {
  // loaded for a YAML file only: every start reads the settings, few from YAML
  const { LineCounter, parseDocument } = require('yaml') as typeof import('yaml');
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const [problem] = [...doc.errors, ...doc.warnings];
  if (problem) {
    const { line, col } = lineCounter.linePos(problem.pos[0]);
    throw new ConfigError(`${label} is not valid YAML (line ${line}, column ${col}): ${problem.message.split('\n')[0]}`);
  }
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new ConfigError(`${label} cannot be read: ${(error as Error).message}`);
  }
}

function parseJson(text: string, label: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    if (text.trim() === '') return null;
    const offset = jsonErrorOffset(text);
    const where = offset === undefined ? '' : ` (${position(text, offset)})`;
    throw new ConfigError(`${label} is not valid JSON${where}: ${(error as Error).message.replace(/^JSON Parse error: /, '')}`);
  }
}

/** `line L, column C` (both from 1) of an offset. */
function position(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `line ${before.length}, column ${before.at(-1)!.length + 1}`;
}

/**
 * Where strict JSON first goes wrong in `text` (the runtime's JSON.parse says what, not where), or undefined if
 * this reader finds nothing wrong.
 */
export function jsonErrorOffset(text: string): number | undefined {
  let i = 0;
  const fail = (): never => {
    throw i;
  };
  const space = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const literal = (word: string) => {
    for (const char of word) if (text[i++] !== char) (i--, fail());
  };
  const string = () => {
    if (text[i] !== '"') fail();
    i++;
    while (i < text.length && text[i] !== '"') {
      const code = text.charCodeAt(i);
      if (code < 0x20) fail();
      if (text[i] === '\\') {
        i++;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) (i++, fail());
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? 'x')) fail();
      }
      i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  const number = () => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!match || match[0] === '' || match[0] === '-') fail();
    i += match![0].length;
  };
  const value = (): void => {
    space();
    const char = text[i];
    if (char === '{') {
      i++;
      space();
      if (text[i] === '}') return void i++;
      for (;;) {
        space();
        string();
        space();
        if (text[i] !== ':') fail();
        i++;
        value();
        space();
        if (text[i] === ',') (i++, undefined);
        else if (text[i] === '}') return void i++;
        else fail();
      }
    }
    if (char === '[') {
      i++;
      space();
      if (text[i] === ']') return void i++;
      for (;;) {
        value();
        space();
        if (text[i] === ',') (i++, undefined);
        else if (text[i] === ']') return void i++;
        else fail();
      }
    }
    if (char === '"') return string();
    if (char === 't') return literal('true');
    if (char === 'f') return literal('false');
    if (char === 'n') return literal('null');
    return number();
  };
  try {
    value();
    space();
    if (i < text.length) fail();
    return undefined;
  } catch (offset) {
    if (typeof offset !== 'number') throw offset;
    return Math.min(offset, text.length);
  }
}
