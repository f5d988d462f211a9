/**
 * Label sets reused from one collection cycle to the next. A cluster of 20,000 partitions and
 * 2,000 groups yields some 180,000 samples a cycle, nearly all of series seen the cycle before;
 * building their label objects afresh each time is much of what a cycle allocates, and all of it
 * lives until the cycle is written, which is what makes garbage collection costly. Interned sets
 * live across cycles instead. Lookups follow the label values through small maps (and an array
 * by partition number), so no key string is built per sample. Sets under a first value (a group,
 * a topic) not asked for during two whole cycles are forgotten, so that deleted topics and
 * groups do not pin memory.
 */

/** A label set handed out by an interner; shared, so callers must not change it. */
export type InternedLabels = Readonly<Record<string, string>>;

interface Node {
  /** Cycle of the last lookup through this node (kept on first-level nodes only). */
  seen: number;
  labels?: InternedLabels;
  next?: Map<string, Node>;
  /** Label sets with a `partition` label, by partition number. */
  partitions?: InternedLabels[];
}

/**
 * Label sets `{cluster, <first>: v1}`, `{cluster, <first>: v1, <second>: v2}` and the same with
 * `partition` last, for one cluster and one pair of label names (e.g. `group`, `topic`).
 */
export class LabelInterner {
  private cycle = 0;
  private readonly roots = new Map<string, Node>();

  constructor(readonly cluster: string, readonly first: string, readonly second = '') {}

  private root(v1: string): Node {
    let node = this.roots.get(v1);
    if (node === undefined) this.roots.set(v1, (node = { seen: this.cycle }));
    else node.seen = this.cycle;
    return node;
  }

  private child(node: Node, v2: string): Node {
    node.next ??= new Map();
    let child = node.next.get(v2);
    if (child === undefined) node.next.set(v2, (child = { seen: 0 }));
    return child;
  }

  /** `{cluster, <first>: v1}`. */
  one(v1: string): InternedLabels {
    const node = this.root(v1);
    return (node.labels ??= { cluster: this.cluster, [this.first]: v1 });
  }

  /** `{cluster, <first>: v1, <second>: v2}`. */
  two(v1: string, v2: string): InternedLabels {
    const node = this.child(this.root(v1), v2);
    return (node.labels ??= { cluster: this.cluster, [this.first]: v1, [this.second]: v2 });
  }

  /** `{cluster, <first>: v1, partition}`. */
  onePartition(v1: string, partition: number): InternedLabels {
    const node = this.root(v1);
    const list = (node.partitions ??= []);
    return (list[partition] ??= { cluster: this.cluster, [this.first]: v1, partition: String(partition) });
  }

  /** `{cluster, <first>: v1, <second>: v2, partition}`. */
  twoPartition(v1: string, v2: string, partition: number): InternedLabels {
    const node = this.child(this.root(v1), v2);
    const list = (node.partitions ??= []);
    return (list[partition] ??= { cluster: this.cluster, [this.first]: v1, [this.second]: v2, partition: String(partition) });
  }

  /** Ends a cycle: first values not looked up in this cycle or the one before are forgotten. */
  rotate(): void {
    for (const [key, node] of this.roots) if (node.seen < this.cycle - 1) this.roots.delete(key);
    this.cycle++;
  }

  /** First values held (groups, topics), for tests. */
  get size(): number {
    return this.roots.size;
  }
}
