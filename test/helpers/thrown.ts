import { KeyturnError } from '../../src/core/errors.js';

/** The KeyturnError `run` throws; any other outcome fails the test. */
export function thrownBy(run: () => unknown): KeyturnError {
  try {
    run();
  } catch (error) {
    if (error instanceof KeyturnError) return error;
    throw error;
  }
  throw new Error('expected a KeyturnError');
}
