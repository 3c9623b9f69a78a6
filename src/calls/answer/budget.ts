/**
 * @module calls/answer/budget
 * How much of a tool's answer goes into the agent's context. Claude Code cuts a tool's output at 25,000 tokens
 * (MAX_MCP_OUTPUT_TOKENS), other clients fail or write it to a file, and a cut JSON document is useless to the
 * model: so the gateway fits each answer to a budget first (`calls/answer/fit`), with the whole answer a link away.
 *
 * Sizes are estimated from UTF-8 bytes with a measured ratio, not a tokenizer: a tokenizer would cost more than the
 * call on large answers, and no client's tokenizer is the model's anyway. `bun run bench answer` tokenizes 198 real
 * answers (the demo's lists and metrics; response examples of GitHub, Twilio, DigitalOcean, Slack) with Anthropic's
 * published tokenizer and OpenAI's two: records and series run 2.33–3.1 bytes a token (median 2.9 with Anthropic's),
 * so 2 bytes a token keeps the estimate above the true count for every answer of records. Encoded strings (base64
 * files, PEM certificates, URL-encoded payloads) run down to 1.4: an answer made mostly of those, filled to the
 * default budget, may come to 28,000 tokens — the one case the estimate does not cover.
 */

/** UTF-8 bytes per token: the lowest ratio measured on answers of records, rounded down (`bun run bench answer`). */
export const BYTES_PER_TOKEN = 2;
/** The default budget: below Claude Code's 25,000-token cut, with room for the note and the estimate's error. */
export const DEFAULT_BUDGET_TOKENS = 20_000;

/** The deployment's budgets: one for every tool, and the tools that have their own. */
export interface AnswerBudgets {
  readonly tokens: number;
  readonly perTool: ReadonlyMap<string, number>;
}

export const DEFAULT_BUDGETS: AnswerBudgets = { tokens: DEFAULT_BUDGET_TOKENS, perTool: new Map() };

/** `tool`'s budget in tokens, and in the bytes it is measured by. */
export function budgetOf(budgets: AnswerBudgets, tool: string): { readonly tokens: number; readonly bytes: number } {
  const tokens = budgets.perTool.get(tool) ?? budgets.tokens;
  return { tokens, bytes: tokens * BYTES_PER_TOKEN };
}

/** The estimated tokens of `bytes` of UTF-8 text. */
export function estimateTokens(bytes: number): number {
  return Math.ceil(bytes / BYTES_PER_TOKEN);
}
