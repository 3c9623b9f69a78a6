/**
 * @module catalog/search
 * Finding the operation that does what an agent describes in plain language ("open an issue", "who follows me"),
 * for APIs too large to list: ranked with BM25 (MiniSearch) over each tool's name, title, description, tags, path
 * and parameter names, and over what its HTTP method means (GET reads and lists, POST creates, DELETE removes).
 *
 * The words of a request and of an API rarely match as written, so both go through the same steps before they
 * meet: split at case changes and punctuation (`listForAuthenticatedUser`, `pull_request`), lower-cased, common
 * words dropped, stemmed (Porter: "issues" and "issue" meet), and synonyms mapped to one word ("remove" and "erase" →
 * "delete", "repo" → "repository", "pr" → "pull request"). Search then also takes longer words that start with a
 * long enough one. Not typos: agents write clean words, and on Microsoft Graph's 11,422 operations they cost time.
 */
import MiniSearch from 'minisearch';
import { stemmer } from 'stemmer';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Catalog } from './types';

/** What the index knows of a tool. */
export interface SearchableTool {
  readonly name: string;
  readonly title?: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  /** The HTTP method of an operation (what it does: read, create, change, remove). */
  readonly method?: string;
  /** The path template of an operation; its literal segments are words too. */
  readonly path?: string;
  /** The names of its arguments. */
  readonly parameters?: readonly string[];
}

export interface SearchHit {
  readonly name: string;
  readonly score: number;
}

/** What each HTTP method does, in the words a request would use. */
const METHOD_WORDS: Readonly<Record<string, string>> = {
  GET: 'get list',
  HEAD: 'check',
  POST: 'create',
  PUT: 'update',
  PATCH: 'update',
  DELETE: 'delete',
};

/** Words that say nothing about which operation is meant. */
const STOP_WORDS = new Set(
  'a an the of for to in on at by with from and or is are be been being it its this that these those can could would should will want need how do does did what whom whose when where there here into about as via using use please just also any some than then so out over under'.split(' '),
);

/**
 * Phrases read as one word before a text is split (both in the index and in a query): what two words mean
 * together is not what they mean apart.
 */
const PHRASES: readonly [RegExp, string][] = [
  [/\bwho am i\b/gi, 'whoami'],
  [/\bset up\b/gi, 'create'],
  [/\bsign(ed)? in\b|\blog(ged)? in\b/gi, 'login'],
  [/\bapi keys?\b/gi, 'secret'],
  [/\bpull requests?\b/gi, 'pull'],
  [/\bmerge requests?\b/gi, 'pull'],
  [/\bhow many\b/gi, 'count'],
  [/\bmoney back\b/gi, 'refund'],
  [/\bsign(s|ed)? (\w+ )?up\b/gi, 'subscribe'],
];

/**
 * Words mapped to the ones the index keeps, so that a request's words and an API's meet: what a request means by
 * "remove", "drop" or "tear down" an API calls delete; "me" and "my" are the authenticated (current) user. Stems
 * (the Porter stemmer's) on both sides; a word may stand for several.
 */
const GROUPS: Readonly<Record<string, readonly string[]>> = {
  // intents
  delete: ['remove', 'erase', 'destroy', 'drop', 'tear', 'purge', 'wipe'],
  create: ['make', 'add', 'new', 'open', 'register', 'spin', 'provision', 'start', 'publish', 'upload', 'submit', 'share', 'give', 'grant', 'reply'],
  update: ['edit', 'change', 'modify', 'rename', 'set', 'close', 'reopen', 'resize', 'adjust', 'alter', 'toggle', 'store', 'save'],
  get: ['show', 'fetch', 'read', 'view', 'retrieve', 'see', 'display', 'lookup', 'inspect', 'details', 'describe', 'whoami'],
  list: ['enumerate', 'all', 'browse', 'which', 'exist', 'recent'],
  search: ['find', 'look', 'query', 'mention', 'mentioning', 'across'],
  authenticated: ['me', 'my', 'mine', 'myself', 'i', 'current', 'viewer', 'whoami'],
  // what most APIs have, by other names
  user: ['account', 'person', 'people', 'profile', 'who', 'whoami'],
  member: ['team', 'teammate', 'colleague', 'staff', 'who'],
  organization: ['org', 'organisation', 'company', 'workspace', 'tenant'],
  repository: ['repo'],
  database: ['db', 'postgres', 'postgresql'],
  issue: ['bug', 'ticket', 'report'],
  comment: ['reply', 'respond', 'note'],
  review: ['approve', 'reviewer'],
  secret: ['credential', 'password'],
  health: ['up', 'alive', 'healthy', 'ping', 'status'],
  metrics: ['busy', 'cpu', 'load', 'usage', 'performance', 'connections'],
  limit: ['quota', 'remaining', 'left', 'throttle'],
  latest: ['newest', 'last'],
  compare: ['diff', 'difference', 'between'],
  backup: ['snapshot'],
  restore: ['rollback', 'roll', 'revert', 'recover'],
  protection: ['require', 'enforce', 'rule'],
  alert: ['vulnerable', 'vulnerability', 'cve'],
  request: ['ask'],
  content: ['file', 'yml', 'yaml', 'json', 'md', 'txt', 'ts', 'js', 'py'],
  ref: ['branch', 'pointer'],
  run: ['pass', 'fail', 'failed', 'build', 'job'],
  workflow: ['pipeline', 'ci', 'action'],
  collaborator: ['access', 'permission', 'invite'],
  contributor: ['contributed', 'contributions'],
  hook: ['webhook'],
  star: ['favourite', 'favorite', 'like', 'bookmark'],
  // money, as billing and payment APIs name it
  refund: ['reimburse', 'refunded'],
  payment: ['pay', 'paid', 'charge'],
  payout: ['withdraw', 'withdrawal', 'bank'],
  coupon: ['discount', 'promo', 'voucher'],
  subscription: ['plan', 'membership'],
  price: ['pricing', 'cost', 'amount'],
  // not "activity": its stem is "active"'s too ("which subscriptions are active" is no question of events)
  event: ['log', 'happened', 'history', 'audit'],
  transfer: ['move', 'send'],
  send: ['email', 'mail', 'notify', 'deliver'],
  link: ['shareable', 'url'],
  upcoming: ['next', 'preview', 'future'],
};

/** Each word's stem → the stems it stands for (its own first). */
const SYNONYMS: ReadonlyMap<string, string[]> = (() => {
  const map = new Map<string, string[]>();
  for (const [kept, words] of Object.entries(GROUPS)) {
    for (const word of words) {
      const stem = stemmer(word);
      const meanings = map.get(stem) ?? [stem];
      if (!meanings.includes(stemmer(kept))) meanings.push(stemmer(kept));
      map.set(stem, meanings);
    }
  }
  return map;
})();

/** Splits text into words: at punctuation and case changes (`listForAuthenticatedUser`, `pull_request`), phrases first. */
function tokenize(text: string): string[] {
  let joined = text;
  for (const [phrase, word] of PHRASES) joined = joined.replace(phrase, ` ${word} `);
  return joined
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word.length > 0);
}

/** The intents a request may name (as stems), and which of them each HTTP method can carry out. */
const INTENTS: ReadonlySet<string> = new Set(['get', 'list', 'search', 'create', 'update', 'delete'].map((word) => stemmer(word)));
const METHOD_INTENTS: Readonly<Record<string, ReadonlySet<string>>> = Object.fromEntries(
  Object.entries({
    GET: ['get', 'list', 'search'],
    HEAD: ['get'],
    // POST creates, and in many APIs changes (Stripe) or searches (Graph) too
    POST: ['create', 'update', 'search'],
    PUT: ['update', 'create'],
    PATCH: ['update'],
    DELETE: ['delete'],
  }).map(([method, intents]) => [method, new Set(intents.map((word) => stemmer(word)))]),
);

/**
 * How much an operation weighs when the request says what to do and its method cannot do that ("which subscriptions
 * are active" asks to list: not a POST that changes one). Halved, not dropped: the words may say more than the verb.
 */
const OTHER_INTENT = 0.5;

/** One word as the index keeps it: lower-cased and stemmed, with what it stands for; nothing for a word that says nothing. */
function processTerm(term: string): string[] | null {
  const word = term.toLowerCase();
  // a number (an issue's, a version's) names an instance, never which operation
  if (STOP_WORDS.has(word) || /^\d+$/.test(word)) return null;
  const stem = stemmer(word);
  return SYNONYMS.get(stem) ?? [stem];
}

/** What a request asks for: the terms to look for, and what it asks to do (intents, as stems; none said: empty). */
interface Reading {
  readonly terms: readonly string[];
  readonly intents: readonly string[];
}

/** A name or value the request gives ("a product called Pro Plan", "named 'nightly'", quoted): not what to look for. */
const VALUES = /\b(?:called|named|titled|labell?ed)\s+(?:"[^"]*"|'[^']*'|[^\s,.;]+(?:\s+[A-Z0-9][^\s,.;]*)*)|"[^"]*"|“[^”]*”/g;

/**
 * Reads a request the way its words mean it, beyond what each means alone:
 * - a name or value it gives is left out (`VALUES`): "create a product called Pro Plan" is about products, not plans;
 * - a verb of intent in the past ("what changed", "the deleted ones") describes, it does not ask: it is not an intent;
 * - a word that only may mean an intent ("open", "add") yields to one that names it ("list the open pull requests"
 *   lists: the pull requests are open).
 * (Reading a request that names things in the plural as a list was tried: "charge a card 20 dollars" and "follow the
 * user torvalds" say otherwise.)
 */
function read(query: string): Reading {
  const words = tokenize(query.replace(VALUES, ' '));
  const describes = (word: string) => word.length > 4 && /ed$/i.test(word);
  // the intents the request names in so many words ("list", "delete")
  const named = new Set(words.filter((word) => !describes(word)).map((word) => stemmer(word.toLowerCase())).filter((stem) => INTENTS.has(stem)));
  const terms: string[] = [];
  const intents = new Set<string>();
  for (const word of words) {
    const processed = processTerm(word);
    if (!processed) continue;
    const own = stemmer(word.toLowerCase());
    const meant = describes(word) ? [] : processed.filter((term) => INTENTS.has(term) && (named.size === 0 || named.has(term) || term === own));
    for (const intent of meant) intents.add(intent);
    // an intent is looked for only where the word asks for it; the word's other meanings stay
    terms.push(...processed.filter((term) => !INTENTS.has(term) || meant.includes(term)));
  }
  return { terms, intents: [...intents] };
}

/**
 * The start of a description: what the operation does — without markup, links, the gateway's own remarks on its
 * schemas, or the detail (scopes, pagination, errors) that drowns the rest.
 */
function summaryOf(description: string | undefined): string {
  if (!description) return '';
  const text = description
    .replace(/\n\n(Recursive schemas cut|Some deeply nested objects)[^]*$/, '')
    .replace(/<[^>]*>/g, ' ')
    .replace(/\bhttps?:\/\/\S+/g, ' ')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
  const sentences = text.split(/(?<=[.!?])\s+/).slice(0, 2).join(' ');
  return sentences.length > 300 ? sentences.slice(0, 300) : sentences;
}

interface Document {
  readonly id: number;
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly tags: string;
  readonly path: string;
  readonly verbs: string;
  readonly parameters: string;
}

/** How much less a tool weighs for each word of its name beyond two. */
const PRIOR_PER_WORD = 0.1;

/**
 * A word in more than this many operations ("get", "list", "user" on Microsoft Graph's 11,422) is looked for only in
 * the fields that say what an operation *is* — its name and what its method does — not in every description,
 * title, path and parameter that mentions it: there it would add little to the ranking (BM25 weighs such words
 * least) and most of the time (each of its thousands of matches is scored). Below it, scoring every match is cheap,
 * and on catalogs of a few hundred operations the mentions matter (Stripe's tasks find 61% instead of 81% without).
 */
const COMMON_COUNT = 1000;
const COMMON_FIELDS = ['name'];

export class ToolSearch {
  private readonly index: MiniSearch<Document>;
  private readonly names: readonly string[];
  /** How many tools each indexed term occurs in (any field). */
  private readonly frequency = new Map<string, number>();
  /** Each tool's weight before any query: see the constructor. */
  private readonly prior: readonly number[];
  /** What each tool's method can do (intents, as stems); undefined for a tool that is not an operation. */
  private readonly intents: readonly (ReadonlySet<string> | undefined)[];

  constructor(tools: readonly SearchableTool[]) {
    this.names = tools.map((tool) => tool.name);
    // a plain request means the plain operation more often than a specialised one: shorter names weigh a little more
    this.prior = tools.map((tool) => 1 / (1 + PRIOR_PER_WORD * Math.max(0, tokenize(tool.name).length - 2)));
    this.intents = tools.map((tool) => (tool.method ? METHOD_INTENTS[tool.method.toUpperCase()] : undefined));
    this.index = new MiniSearch<Document>({
      fields: ['name', 'title', 'description', 'tags', 'path', 'verbs', 'parameters'],
      storeFields: [],
      tokenize,
      processTerm,
    });
    const documents = tools.map(
      (tool, id): Document => ({
        id,
        name: tool.name,
        title: tool.title ?? '',
        description: summaryOf(tool.description),
        tags: (tool.tags ?? []).join(' '),
        // the literal segments only: `{owner}` says nothing of what the operation does
        path: (tool.path ?? '').replace(/\{[^}]*\}/g, ' '),
        verbs: tool.method ? (METHOD_WORDS[tool.method.toUpperCase()] ?? '') : '',
        parameters: (tool.parameters ?? []).join(' '),
      }),
    );
    this.index.addAll(documents);
    // a catalog no larger than COMMON_COUNT has no common word
    if (documents.length <= COMMON_COUNT) return;
    for (const document of documents) {
      const terms = new Set<string>();
      for (const field of [document.name, document.title, document.description, document.tags, document.path, document.verbs, document.parameters]) {
        for (const word of tokenize(field)) for (const term of processTerm(word) ?? []) terms.add(term);
      }
      for (const term of terms) this.frequency.set(term, (this.frequency.get(term) ?? 0) + 1);
    }
  }

  /** Whether `term` (as the index keeps it) is in more than COMMON_COUNT tools. */
  private common(term: string): boolean {
    return (this.frequency.get(term) ?? 0) > COMMON_COUNT;
  }

  get size(): number {
    return this.names.length;
  }

  /** The tools that best match `query`, best first; `allowed` leaves out the ones the caller may not see. */
  search(query: string, limit = 10, allowed?: (name: string) => boolean): SearchHit[] {
    // the terms the query stands for, as the index keeps them (each word through the same steps), common ones apart;
    // a term said twice (a word and another's synonym) counts twice, as it weighs more in what was asked
    const { terms, intents: asked } = read(query);
    const weight = (id: number): number => {
      const prior = this.prior[id] ?? 1;
      const can = this.intents[id];
      return asked.length > 0 && can && !asked.some((intent) => can.has(intent)) ? prior * OTHER_INTENT : prior;
    };
    const common = terms.filter((term) => this.common(term));
    const rare = terms.filter((term) => !this.common(term));
    const results = this.index.search(
      {
        combineWith: 'OR',
        queries: [
          ...(rare.length > 0 ? [{ queries: rare, combineWith: 'OR' as const }] : []),
          ...(common.length > 0 ? [{ queries: common, fields: COMMON_FIELDS, prefix: false, combineWith: 'OR' as const }] : []),
        ],
      },
      {
        // the terms are processed already
        tokenize: (text) => [text],
        processTerm: (term) => term,
        boost: { name: 3, title: 3, tags: 1.5, path: 1.5, verbs: 2, description: 0.7, parameters: 0.3 },
        // a word's longer forms, only for words long enough that they still mean the same
        prefix: (term) => term.length >= 6,
        fuzzy: false,
        combineWith: 'OR',
        boostDocument: (id) => weight(id as number),
      },
    );
    const hits: SearchHit[] = [];
    for (const result of results) {
      const name = this.names[result.id as number]!;
      if (allowed && !allowed(name)) continue;
      hits.push({ name, score: result.score });
      if (hits.length >= limit) break;
    }
    return hits;
  }
}

/** What the index reads of one tool: an MCP tool, and the operation behind it when there is one. */
export function searchableTool(tool: Pick<Tool, 'name' | 'title' | 'description' | 'inputSchema'>, operation?: { readonly method: string; readonly path: string; readonly tags: readonly string[] }): SearchableTool {
  return {
    name: tool.name,
    title: tool.title,
    description: tool.description,
    tags: operation?.tags,
    method: operation?.method,
    path: operation?.path,
    parameters: Object.keys((tool.inputSchema as { properties?: Record<string, unknown> }).properties ?? {}),
  };
}

/** The index's view of a catalog. */
export function searchableTools(catalog: Pick<Catalog, 'entries'>): SearchableTool[] {
  return catalog.entries.map((entry) => searchableTool(entry.tool, entry.target));
}
