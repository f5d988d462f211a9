import { SluiceError } from '../../errors.ts';
import { Reader, ZERO_UUID } from './reader.ts';
import { Writer } from './writer.ts';
import { inRange, type FieldSchema, type MessageSchema, type PrimitiveType } from './schema.ts';

/**
 * One generic codec for every Kafka message: a schema (Kafka's own definition, generated into
 * schemas.generated.ts) is compiled once per version into a plan, and the plan is read or
 * written by the functions below. The schema is the grammar; no API has hand-written codec code.
 */

/** A decoded message: field names as in the schema, values as described in reader.ts. */
export type Message = Record<string, any>;

interface Plan {
  readonly flexible: boolean;
  readonly fields: readonly FieldPlan[];
  /** Tagged fields in tag order (flexible versions only). */
  readonly tagged: readonly FieldPlan[];
}

interface FieldPlan {
  readonly name: string;
  readonly type: PrimitiveType | 'struct';
  readonly array: boolean;
  readonly nullable: boolean;
  /** Compact encoding of strings, bytes and arrays. */
  readonly compact: boolean;
  readonly tag: number;
  readonly struct: Plan | null;
  readonly defaultValue: () => unknown;
}

const plans = new WeakMap<object, Map<number, Plan>>();

function planFor(schema: { readonly fields: readonly FieldSchema[] }, version: number, flexible: boolean): Plan {
  let byVersion = plans.get(schema);
  if (!byVersion) plans.set(schema, (byVersion = new Map()));
  const key = flexible ? version + 100000 : version;
  let plan = byVersion.get(key);
  if (!plan) byVersion.set(key, (plan = compile(schema.fields, version, flexible)));
  return plan;
}

function compile(fields: readonly FieldSchema[], version: number, flexible: boolean): Plan {
  const plain: FieldPlan[] = [];
  const tagged: FieldPlan[] = [];
  for (const f of fields) {
    if (!inRange(f.versions, version)) continue;
    const isTagged = flexible && f.tag !== undefined && inRange(f.tagged, version);
    const compact = f.flexible !== undefined ? inRange(f.flexible, version) : flexible;
    const nullable = inRange(f.nullable, version);
    const struct = f.type === 'struct' ? compile(f.fields ?? [], version, flexible) : null;
    const fp: FieldPlan = {
      name: f.name,
      type: f.type,
      array: f.array === true,
      nullable,
      compact,
      tag: isTagged ? f.tag! : -1,
      struct,
      defaultValue: defaultOf(f, nullable),
    };
    (isTagged ? tagged : plain).push(fp);
  }
  tagged.sort((a, b) => a.tag - b.tag);
  return { flexible, fields: plain, tagged };
}

function defaultOf(f: FieldSchema, nullable: boolean): () => unknown {
  const d = f.default;
  if (f.array) return d === 'null' && nullable ? () => null : () => [];
  if (d === 'null' && nullable) return () => null;
  switch (f.type) {
    case 'int8': case 'int16': case 'uint16': case 'int32': case 'uint32': case 'float64': {
      const n = d === undefined ? 0 : Number(d);
      return () => n;
    }
    case 'int64': {
      const n = d === undefined ? 0n : BigInt(d);
      return () => n;
    }
    case 'bool': {
      const b = d === 'true';
      return () => b;
    }
    case 'string': {
      const s = d ?? '';
      return () => s;
    }
    case 'uuid': return () => ZERO_UUID;
    case 'bytes': return () => Buffer.alloc(0);
    case 'records': return () => null;
    case 'struct': return () => ({});
  }
}

// ---- decoding ----

function readValue(r: Reader, f: FieldPlan): unknown {
  switch (f.type) {
    case 'int8': return r.int8();
    case 'int16': return r.int16();
    case 'uint16': return r.uint16();
    case 'int32': return r.int32();
    case 'uint32': return r.uint32();
    case 'int64': return r.int64();
    case 'float64': return r.float64();
    case 'bool': return r.bool();
    case 'uuid': return r.uuid();
    case 'string': {
      const s = r.string(f.compact);
      if (s === null && !f.nullable) throw invalid(`${f.name}: null in a non-nullable string`);
      return s;
    }
    case 'bytes': case 'records': {
      const b = r.bytes(f.compact);
      if (b === null && !f.nullable) throw invalid(`${f.name}: null in non-nullable bytes`);
      return b;
    }
    case 'struct': {
      // A nullable struct (not an array of structs) carries a presence byte.
      if (f.nullable && !f.array && r.int8() < 0) return null;
      return readStruct(r, f.struct!);
    }
  }
}

function readField(r: Reader, f: FieldPlan): unknown {
  if (!f.array) return readValue(r, f);
  const n = r.arrayLength(f.compact);
  if (n < 0) {
    if (!f.nullable) throw invalid(`${f.name}: null in a non-nullable array`);
    return null;
  }
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = readValue(r, f);
  return out;
}

function readStruct(r: Reader, plan: Plan): Message {
  const out: Message = {};
  for (const f of plan.fields) out[f.name] = readField(r, f);
  if (plan.flexible) {
    for (const f of plan.tagged) out[f.name] = f.defaultValue();
    readTaggedFields(r, plan, out);
  }
  return out;
}

function readTaggedFields(r: Reader, plan: Plan, out: Message): void {
  const count = r.uvarint();
  let last = -1;
  for (let i = 0; i < count; i++) {
    const tag = r.uvarint();
    if (tag <= last) throw invalid(`tagged fields out of order (tag ${tag} after ${last})`);
    last = tag;
    const size = r.uvarint();
    const body = r.raw(size, 'tagged field');
    const f = plan.tagged.find((t) => t.tag === tag);
    if (f) {
      const sub = new Reader(body);
      out[f.name] = readField(sub, f);
    }
  }
}

/** Decodes one message body of `schema` at `version` from `r`. */
export function decode(schema: MessageSchema, version: number, r: Reader): Message {
  return readStruct(r, planFor(schema, version, inRange(schema.flexible, version)));
}

// ---- encoding ----

function writeValue(w: Writer, f: FieldPlan, v: any): void {
  switch (f.type) {
    case 'int8': w.int8(v); return;
    case 'int16': w.int16(v); return;
    case 'uint16': w.uint16(v); return;
    case 'int32': w.int32(v); return;
    case 'uint32': w.uint32(v); return;
    case 'int64': w.int64(typeof v === 'bigint' ? v : BigInt(v)); return;
    case 'float64': w.float64(v); return;
    case 'bool': w.bool(v); return;
    case 'uuid': w.uuid(v); return;
    case 'string': w.string(v === null && !f.nullable ? '' : v, f.compact); return;
    case 'bytes':
      w.bytes(v === null && !f.nullable ? Buffer.alloc(0) : v, f.compact);
      return;
    case 'records':
      if (Array.isArray(v)) w.bytesList(v, f.compact);
      else w.bytes(v, f.compact);
      return;
    case 'struct':
      if (f.nullable && !f.array) {
        if (v === null) { w.int8(-1); return; }
        w.int8(1);
      }
      writeStruct(w, f.struct!, v ?? {});
  }
}

function writeField(w: Writer, f: FieldPlan, v: any): void {
  if (v === undefined) v = f.defaultValue();
  if (!f.array) { writeValue(w, f, v); return; }
  if (v === null) {
    if (!f.nullable) { w.arrayLength(0, f.compact); return; }
    w.arrayLength(-1, f.compact);
    return;
  }
  w.arrayLength(v.length, f.compact);
  for (const item of v) writeValue(w, f, item);
}

function isDefault(f: FieldPlan, v: unknown): boolean {
  if (v === undefined) return true;
  const d = f.defaultValue();
  if (Array.isArray(v)) return Array.isArray(d) && v.length === 0;
  if (Buffer.isBuffer(v)) return Buffer.isBuffer(d) && v.length === 0;
  if (typeof v === 'object' && v !== null) return false;
  return v === d;
}

function writeStruct(w: Writer, plan: Plan, obj: Message): void {
  for (const f of plan.fields) writeField(w, f, obj[f.name]);
  if (!plan.flexible) return;
  const present = plan.tagged.filter((f) => !isDefault(f, obj[f.name]));
  w.uvarint(present.length);
  for (const f of present) {
    const sub = new Writer(64);
    writeField(sub, f, obj[f.name]);
    w.uvarint(f.tag).uvarint(sub.length).append(sub);
  }
}

/** Encodes `msg` as a message body of `schema` at `version`; missing fields take Kafka's defaults. */
export function encode(schema: MessageSchema, version: number, msg: Message, w: Writer = new Writer()): Writer {
  writeStruct(w, planFor(schema, version, inRange(schema.flexible, version)), msg);
  return w;
}

/** Decodes a complete buffer, rejecting trailing bytes. */
export function decodeBuffer(schema: MessageSchema, version: number, buf: Buffer): Message {
  const r = new Reader(buf);
  const m = decode(schema, version, r);
  if (r.remaining !== 0) throw invalid(`${schema.name} v${version}: ${r.remaining} trailing bytes`);
  return m;
}

/** Encodes to one buffer. */
export function encodeBuffer(schema: MessageSchema, version: number, msg: Message): Buffer {
  return encode(schema, version, msg).toBuffer();
}

function invalid(message: string): SluiceError {
  return new SluiceError('SLUICE_ERR_PROTOCOL_INVALID_VALUE', message);
}
