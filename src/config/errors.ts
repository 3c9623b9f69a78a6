/**
 * @module config/errors
 * The one error every configuration problem is reported with: its message names the setting, where it came
 * from (a flag, a variable, the config file), what was expected and what was given — never a secret's value.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}
