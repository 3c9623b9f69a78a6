/**
 * @module proxy/select
 * `fields` (`catalog/answer-arguments`): the parts of a JSON answer a JMESPath expression names, with the maintained
 * implementation of the language (@jmespath-community/jmespath), not one of ours. An expression that does not parse
 * is refused before the API is called, with the parser's words; one that fails on the answer (a function given the
 * wrong type) is a tool error saying so.
 */
import { compile, search, type JSONValue } from '@jmespath-community/jmespath';
import { ProxyArgumentError } from './errors';

/** Checks `expression` parses; throws ProxyArgumentError saying where it does not. */
export function checkSelection(argument: string, expression: string): void {
  try {
    compile(expression);
  } catch (error) {
    throw new ProxyArgumentError(argument, `is not a JMESPath expression (jmespath.org): ${error instanceof Error ? error.message : String(error)}. For example: items[].{id: id, name: name}`);
  }
}

/** The parts of `value` `expression` selects (null when it selects nothing); throws ProxyArgumentError when it fails on this value. */
export function select(argument: string, expression: string, value: unknown): unknown {
  try {
    return search(value as JSONValue, expression);
  } catch (error) {
    throw new ProxyArgumentError(argument, `failed on this answer: ${error instanceof Error ? error.message : String(error)}`);
  }
}
