/**
 * Parsing of command-line option values. Pure: strings in, values or a message out. Messages
 * name the flag, the list item and what was expected, so a typo is fixed without reading docs.
 */
import * as z from 'zod';
import { SluiceError } from '../errors.ts';
import type { TopicSpec } from '../kafka/broker/options.ts';
import { describeValue, type PathSegment } from '../config/index.ts';

/** Largest Kafka INT32: the bound of partition counts, node ids and frame sizes on the wire. */
export const MAX_INT32 = 2_147_483_647;

/** Largest Kafka INT16: the bound of a replication factor on the wire. */
export const MAX_INT16 = 32_767;

/** Kafka's limit on a topic name's length (kafka.common.internals.Topic). */
export const MAX_TOPIC_NAME_LENGTH = 249;

const LEGAL_TOPIC_NAME = /^[A-Za-z0-9._-]+$/;
const DIGITS = /^\d+$/;

/** The outcome of reading an option value: the value, or what is wrong with it. */
export type OptionResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

/** Shows a BrokerOptions-style key as the flag a user typed: maxFrameBytes → --max-frame-bytes. */
export function flagLabel(path: readonly PathSegment[]): string {
  return `--${String(path[0] ?? '').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/**
 * Reads `orders:4,payments:2:3` into topic specs: `name:partitions[:replication]`, where the
 * replication factor is optional (default: the cluster's). Items are trimmed; names follow
 * Kafka's rules (letters, digits, `.`, `_`, `-`; at most 249 characters; not `.` or `..`) and
 * appear once.
 */
export function readTopics(text: string): OptionResult<TopicSpec[]> {
  const example = 'e.g. orders:4';
  const items = splitList(text);
  if (items === undefined) return fail(`expected a comma-separated list of name:partitions[:replication], e.g. orders:4,payments:2:3, got ""`);
  const topics: TopicSpec[] = [];
  const seen = new Map<string, number>();
  for (const [index, item] of items.entries()) {
    const where = `item ${index + 1} ${JSON.stringify(item)}`;
    if (item === '') return fail(`item ${index + 1} is empty; expected name:partitions[:replication], ${example}`);
    const fields = item.split(':').map((field) => field.trim());
    if (fields.length > 3) return fail(`${where}: expected name:partitions[:replication], e.g. orders:4:3`);
    const [name = '', count = '', replication] = fields;
    if (name === '' || !DIGITS.test(count) || Number(count) < 1) {
      return fail(`${where}: expected name:partitions with a positive integer partition count, ${example}`);
    }
    if (Number(count) > MAX_INT32) return fail(`${where}: partition count must be at most ${MAX_INT32}`);
    if (replication !== undefined && (!DIGITS.test(replication) || Number(replication) < 1 || Number(replication) > MAX_INT16)) {
      return fail(`${where}: replication factor must be an integer from 1 to ${MAX_INT16}, e.g. orders:4:3`);
    }
    const nameProblem = topicNameProblem(name);
    if (nameProblem !== undefined) return fail(`${where}: ${nameProblem}`);
    const first = seen.get(name);
    if (first !== undefined) return fail(`${where}: topic ${JSON.stringify(name)} is already listed as item ${first}`);
    seen.set(name, index + 1);
    topics.push({ name, partitions: Number(count), ...(replication === undefined ? {} : { replicationFactor: Number(replication) }) });
  }
  return { ok: true, value: topics };
}

/**
 * Reads `alice:secret,bob:pw` into a user → password map. Items are trimmed; the password is
 * everything after the first `:` (so it may hold colons, not commas). Messages never echo a
 * password.
 */
export function readSaslUsers(text: string): OptionResult<Record<string, string>> {
  const items = splitList(text);
  if (items === undefined) return fail(`expected a comma-separated list of user:password, e.g. alice:secret, got ""`);
  const users: [string, string][] = [];
  const seen = new Map<string, number>();
  for (const [index, item] of items.entries()) {
    const where = `item ${index + 1}`;
    if (item === '') return fail(`${where} is empty; expected user:password`);
    const colon = item.indexOf(':');
    if (colon < 0) return fail(`${where}: expected user:password (no ":" found)`);
    const user = item.slice(0, colon);
    const password = item.slice(colon + 1);
    if (user === '') return fail(`${where}: user name is empty; expected user:password`);
    const named = `${where} (user ${JSON.stringify(user)})`;
    if (password === '') return fail(`${named}: password is empty`);
    const first = seen.get(user);
    if (first !== undefined) return fail(`${named}: user ${JSON.stringify(user)} is already listed as item ${first}`);
    seen.set(user, index + 1);
    users.push([user, password]);
  }
  return { ok: true, value: Object.fromEntries(users) };
}

/** Parses the `--topics` value; throws SLUICE_ERR_CLI_ARGUMENT naming the bad item. */
export function parseTopicsOption(text: string): TopicSpec[] {
  return unwrap(readTopics(text), '--topics');
}

/** Reads a control API URL (`--control`): http or https, returned without a trailing slash. */
export function readControlUrl(text: string): OptionResult<string> {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    return { ok: false, problem: `expected an http:// or https:// URL, e.g. http://127.0.0.1:9099, got ${describeValue(text)}` };
  }
  return { ok: true, value: url.href.replace(/\/+$/, '') };
}

/** Parses the `--sasl-users` value; throws SLUICE_ERR_CLI_ARGUMENT naming the bad item. */
export function parseSaslUsersOption(text: string): Record<string, string> {
  return unwrap(readSaslUsers(text), '--sasl-users');
}

/** Why `name` is not a legal Kafka topic name, or undefined when it is. */
export function topicNameProblem(name: string): string | undefined {
  const shown = JSON.stringify(name);
  if (name === '.' || name === '..') return `topic name cannot be ${shown}`;
  if (name.length > MAX_TOPIC_NAME_LENGTH) return `topic name is longer than ${MAX_TOPIC_NAME_LENGTH} characters`;
  if (!LEGAL_TOPIC_NAME.test(name)) return `topic name ${shown} may only contain letters, digits, ".", "_" and "-"`;
  return undefined;
}

/** A Zod schema for an integer flag given as text, e.g. `--port 9092`, within [min, max]. */
export function integerFlag(min: number, max: number) {
  const rule = `expected an integer from ${min} to ${max}`;
  return z.string().transform((text, ctx) => {
    const trimmed = text.trim();
    const value = DIGITS.test(trimmed) ? Number(trimmed) : Number.NaN;
    if (value >= min && value <= max) return value;
    ctx.addIssue({ code: 'custom', message: `${rule}, got ${describeValue(text)}` });
    return z.NEVER;
  });
}

/** A Zod schema for a flag whose text is read by `read` (e.g. readTopics). */
export function parsedFlag<T>(read: (text: string) => OptionResult<T>) {
  return z.string().transform((text, ctx) => {
    const result = read(text);
    if (result.ok) return result.value;
    ctx.addIssue({ code: 'custom', message: result.problem });
    return z.NEVER;
  });
}

function splitList(text: string): string[] | undefined {
  return text.trim() === '' ? undefined : text.split(',').map((item) => item.trim());
}

/** A command-line argument refused: the message names the flag and what was expected. */
export function argumentError(message: string): SluiceError {
  return new SluiceError('SLUICE_ERR_CLI_ARGUMENT', message);
}

function fail(problem: string): { ok: false; problem: string } {
  return { ok: false, problem };
}

function unwrap<T>(result: OptionResult<T>, flag: string): T {
  if (result.ok) return result.value;
  throw new SluiceError('SLUICE_ERR_CLI_ARGUMENT', `${flag}: ${result.problem}`, { path: flag });
}
