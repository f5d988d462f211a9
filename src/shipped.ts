/**
 * Where the shipped rule packs and incident fixtures are, for replay and the API that serves it.
 */
import { fileURLToPath } from 'node:url';

/** The shipped rule packs. */
export const SHIPPED_RULES_DIR = fileURLToPath(new URL('../rules', import.meta.url));

/** The shipped incident fixtures. */
export const FIXTURES_DIR = fileURLToPath(new URL('../fixtures/incidents', import.meta.url));
