import { invalidSyntax } from '../errors';

/**
 * bulkId references (RFC 7644 §3.7.2): a string value `bulkId:<id>` anywhere in an operation's data,
 * or a path segment such as `/Users/bulkId:qwerty`, stands for the id of the resource that the POST
 * with that bulkId creates. Only a whole value is a reference; `bulkId:` alone is an ordinary string.
 */
export const BULK_ID_PREFIX = 'bulkId:';

/** SCIM resources nest a few levels deep; data deeper than this is refused rather than walked. */
export const MAX_DATA_DEPTH = 64;

/** The bulkId a value refers to, or undefined when it is not a reference. */
export function referencedBulkId(value: unknown): string | undefined {
  if (typeof value !== 'string' || !value.startsWith(BULK_ID_PREFIX) || value.length === BULK_ID_PREFIX.length) return undefined;
  return value.slice(BULK_ID_PREFIX.length);
}

/** Every bulkId that `data` refers to, once each, in the order first met. */
export function referencesIn(data: unknown): string[] {
  const found = new Set<string>();
  const walk = (value: unknown, depth: number): void => {
    const bulkId = referencedBulkId(value);
    if (bulkId !== undefined) {
      found.add(bulkId);
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    if (depth >= MAX_DATA_DEPTH) throw tooDeep();
    for (const child of Array.isArray(value) ? value : Object.values(value)) walk(child, depth + 1);
  };
  walk(data, 0);
  return [...found];
}

/**
 * A copy of `data` with every reference replaced by `resolve(bulkId)`. `resolve` may throw to refuse
 * a reference. Keys are copied as own data properties, so a `__proto__` key in client JSON stays data.
 */
export function substituteReferences(data: unknown, resolve: (bulkId: string) => string): unknown {
  const walk = (value: unknown, depth: number): unknown => {
    const bulkId = referencedBulkId(value);
    if (bulkId !== undefined) return resolve(bulkId);
    if (typeof value !== 'object' || value === null) return value;
    if (depth >= MAX_DATA_DEPTH) throw tooDeep();
    if (Array.isArray(value)) return value.map((child) => walk(child, depth + 1));
    return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, walk(child, depth + 1)]));
  };
  return walk(data, 0);
}

function tooDeep() {
  return invalidSyntax(`The operation's data is nested more than ${MAX_DATA_DEPTH} levels deep`);
}

export interface OrderNode {
  /** The bulkId this operation's resource will be known by (a valid POST), if any. */
  readonly declares?: string | undefined;
  /** The bulkIds this operation refers to. */
  readonly references: readonly string[];
}

export interface ExecutionPlan {
  /** Every operation index exactly once, each after the operations whose bulkIds it refers to. */
  readonly order: readonly number[];
  /** Operations on a reference cycle (including one referring to itself): they cannot run. */
  readonly circular: ReadonlySet<number>;
  /** The operation that declares each bulkId; the first one when several do. */
  readonly declarers: ReadonlyMap<string, number>;
}

/**
 * The order to run a bulk request's operations in: request order, except that an operation referring
 * to a bulkId declared later runs after that declaration (RFC 7644 §3.7.2 allows forward references).
 * Operations on a cycle are reported in `circular` (RFC 7644 §3.7.1 allows answering them 409).
 *
 * This is Tarjan's strongly connected components algorithm with edges from an operation to the
 * declarers it refers to, which emits every component after the components it depends on. It runs
 * without recursion, so a chain of a thousand references cannot exhaust the stack. References to
 * bulkIds that no operation declares add no edge: the operation fails when it runs.
 */
export function executionOrder(nodes: readonly OrderNode[]): ExecutionPlan {
  const declarers = new Map<string, number>();
  nodes.forEach((node, index) => {
    if (node.declares !== undefined && !declarers.has(node.declares)) declarers.set(node.declares, index);
  });
  const edges = nodes.map((node) => [...new Set(node.references.flatMap((bulkId) => {
    const declarer = declarers.get(bulkId);
    return declarer === undefined ? [] : [declarer];
  }))]);

  const discovered: number[] = new Array<number>(nodes.length).fill(-1);
  const lowest: number[] = new Array<number>(nodes.length).fill(-1);
  const onStack: boolean[] = new Array<boolean>(nodes.length).fill(false);
  const stack: number[] = [];
  const order: number[] = [];
  const circular = new Set<number>();
  let counter = 0;

  const visit = (node: number): void => {
    discovered[node] = counter;
    lowest[node] = counter;
    counter += 1;
    stack.push(node);
    onStack[node] = true;
  };

  for (let root = 0; root < nodes.length; root++) {
    if (discovered[root] !== -1) continue;
    visit(root);
    const frames: { node: number; next: number }[] = [{ node: root, next: 0 }];
    while (frames.length > 0) {
      const frame = frames[frames.length - 1] as { node: number; next: number };
      const successors = edges[frame.node] ?? [];
      if (frame.next < successors.length) {
        const successor = successors[frame.next] as number;
        frame.next += 1;
        if (discovered[successor] === -1) {
          visit(successor);
          frames.push({ node: successor, next: 0 });
        } else if (onStack[successor]) {
          lowest[frame.node] = Math.min(lowest[frame.node] as number, discovered[successor] as number);
        }
        continue;
      }
      frames.pop();
      const parent = frames[frames.length - 1];
      if (parent) lowest[parent.node] = Math.min(lowest[parent.node] as number, lowest[frame.node] as number);
      if (lowest[frame.node] !== discovered[frame.node]) continue;
      const component: number[] = [];
      for (;;) {
        const member = stack.pop() as number;
        onStack[member] = false;
        component.push(member);
        if (member === frame.node) break;
      }
      component.sort((a, b) => a - b);
      const cyclic = component.length > 1 || (edges[frame.node] ?? []).includes(frame.node);
      for (const member of component) {
        order.push(member);
        if (cyclic) circular.add(member);
      }
    }
  }
  return { order, circular, declarers };
}
