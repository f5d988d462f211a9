/** An inclusive version range [min, max]; max 32767 stands for "and later". */
export type VersionRange = readonly [number, number];

/** The primitive wire types of the Kafka protocol. */
export type PrimitiveType =
  | 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'float64'
  | 'string' | 'bytes' | 'bool' | 'uuid' | 'records';

/** One field of a message or struct, as Kafka's message definitions describe it. */
export interface FieldSchema {
  /** Property name in decoded objects (Kafka's name with a lower-case first letter). */
  readonly name: string;
  readonly type: PrimitiveType | 'struct';
  readonly array?: boolean;
  readonly versions: VersionRange | null;
  readonly nullable?: VersionRange;
  /** Tag number when the field is a tagged field in `tagged` versions. */
  readonly tag?: number;
  readonly tagged?: VersionRange | null;
  /** Default as written in the definition ("-1", "0x7fffffff", "null", "true", ...). */
  readonly default?: string;
  /** Overrides the message's flexible versions (request header ClientId: never compact). */
  readonly flexible?: VersionRange | null;
  readonly fields?: readonly FieldSchema[];
}

/** A whole message: a request, a response, a header or a data record. */
export interface MessageSchema {
  readonly name: string;
  readonly apiKey?: number;
  readonly type: string;
  readonly valid: VersionRange | null;
  readonly flexible: VersionRange | null;
  readonly fields: readonly FieldSchema[];
}

/** True when `v` is inside `r`. */
export function inRange(r: VersionRange | null | undefined, v: number): boolean {
  return r != null && v >= r[0] && v <= r[1];
}
