/**
 * @module calls/answer/budget
 * How much of a tool's answer goes into the agent's context. Claude Code cuts a tool's output at 25,000 tokens
 * (MAX_MCP_OUTPUT_TOKENS), other clients fail or write it to a file, and a cut JSON document is useless to the
 * model: so the gateway fits each answer to a budget first (`calls/answer/fit`), with the whole answer a link away.
 *
 * Sizes are estimated from UTF-8 bytes with a measured ratio, not a tokenizer: a tokenizer would cost more than the
 * call on large answers, and no client's tokenizer is the model's anyway. `BYTES_PER_TOKEN` is the lowest ratio
 * measured on the answers `bun run bench answer` tokenizes (JSON lists of records, the kind that get large): fewer
 * bytes per token means more tokens, so the lowest ratio keeps an estimate on the safe side.
 */

/** UTF-8 bytes per token, measured on JSON answers (`bun run bench answer`); the lowest ratio seen, rounded down. */
export const BYTES_PER_TOKEN = 3;
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
