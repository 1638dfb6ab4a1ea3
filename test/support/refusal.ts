/** What a test asks of code that must refuse: the ConnectorError it throws. */
import { ConnectorError } from '../../src/domain/errors.js';

/**
 * Runs `action` and returns the ConnectorError it throws. Anything else thrown is
 * thrown on; no throw at all fails the test (`expected` names what was awaited).
 */
export function refusal(action: () => unknown, expected = 'a ConnectorError'): ConnectorError {
  try {
    action();
  } catch (error) {
    if (error instanceof ConnectorError) return error;
    throw error;
  }
  throw new Error(`expected ${expected}`);
}
