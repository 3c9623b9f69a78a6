/**
 * A broken YAML document is reported at the line a person must fix, not where the parser noticed: the line that is
 * indented too far (reported by the parser on the line before), the bracket or quote left open (reported lines
 * later, where it gave up).
 */
import { expect, test } from 'bun:test';
import { parseDocument } from '../../src/catalog/source';

const problem = (text: string): string => {
  try {
    parseDocument(text, 'file:///spec.yaml');
  } catch (error) {
    return (error as Error).message.replace('"/spec.yaml" is neither JSON nor YAML: ', '');
  }
  throw new Error('it parsed');
};

test('a line indented under a key that has a value is the line named', () => {
  expect(problem('openapi: 3.0.0\n  info: x\npaths: {}\n')).toBe(
    'line 2: this line is indented under line 1, whose key already has a value (at column 10); indent it like the keys beside it, or move that value onto its own lines',
  );
});

test('an unclosed { or [ is named where it opened', () => {
  expect(problem('openapi: 3.0.0\ninfo: {title: x, version: 1\npaths: {}\n')).toBe('line 2, column 7: this "{" is not closed with "}" (the parser gave up at line 3, column 1)');
  expect(problem('openapi: 3.0.0\ninfo:\n  title: [unclosed\n  version: 1\npaths: {}\n')).toBe('line 3, column 10: this "[" is not closed with "]" (the parser gave up at line 4, column 3)');
  // brackets inside quotes and comments do not count
  expect(problem('openapi: 3.0.0 # {\ninfo: {title: "a } b", version: 1\npaths: {}\n')).toStartWith('line 2, column 7: this "{" is not closed');
});

test('an unclosed quote is named where it opened; closed quotes and doubled single quotes are not', () => {
  expect(problem('openapi: "3.0.0\ninfo: x\n')).toBe('line 1, column 10: this quoted text is never closed (missing closing "quote, found at line 3)');
  expect(problem("openapi: 3.0.0\ninfo:\n  title: \"it's fine\"\n  description: 'a ''quoted'' word\n  version: 1\n")).toStartWith('line 4, column 16: this quoted text is never closed');
});

test('other errors keep the parser’s own words and place', () => {
  expect(problem('openapi: 3.0.0\ninfo:\n\ttitle: x\n')).toBe('line 3, column 1: Tabs are not allowed as indentation');
});
