import { loadConfig, type Env } from '../../src/config';
import { ConfigError } from '../../src/errors';

/** The message of the ConfigError `env` is refused with; fails the test when it is accepted or fails otherwise. */
export function configProblems(env: Env): string {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
}
