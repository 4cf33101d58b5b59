/** Lays the state machine out from its ASL: states in rows by distance from StartAt. */
export interface AslState {
  Type: string;
  Next?: string;
  Default?: string;
  End?: boolean;
  Choices?: { Next: string }[];
  Catch?: { Next: string; ErrorEquals: string[] }[];
}
export interface Asl {
  StartAt: string;
  States: Record<string, AslState>;
}

export interface Node {
  name: string;
  type: string;
  x: number;
  y: number;
}
export interface Edge {
  from: string;
  to: string;
  kind: 'next' | 'choice' | 'catch';
}

export const NODE_W = 210;
export const NODE_H = 40;
const GAP_X = 30;
const GAP_Y = 40;

export function edgesOf(asl: Asl): Edge[] {
  const edges: Edge[] = [];
  for (const [name, s] of Object.entries(asl.States)) {
    if (s.Next) edges.push({ from: name, to: s.Next, kind: 'next' });
    for (const c of s.Choices ?? []) edges.push({ from: name, to: c.Next, kind: 'choice' });
    if (s.Default) edges.push({ from: name, to: s.Default, kind: 'choice' });
    for (const c of s.Catch ?? []) edges.push({ from: name, to: c.Next, kind: 'catch' });
  }
  return edges.filter((e, i, all) => all.findIndex((o) => o.from === e.from && o.to === e.to) === i);
}

export function layout(asl: Asl): { nodes: Node[]; edges: Edge[]; width: number; height: number } {
  const edges = edgesOf(asl);
  const depth = new Map<string, number>([[asl.StartAt, 0]]);
  const queue = [asl.StartAt];
  // Normal and choice edges first: catches are detours and should not pull states down.
  const forward = [...edges.filter((e) => e.kind !== 'catch'), ...edges.filter((e) => e.kind === 'catch')];
  while (queue.length) {
    const name = queue.shift()!;
    for (const e of forward.filter((e) => e.from === name)) {
      if (!depth.has(e.to)) {
        depth.set(e.to, depth.get(name)! + 1);
        queue.push(e.to);
      }
    }
  }
  for (const name of Object.keys(asl.States)) if (!depth.has(name)) depth.set(name, 0);
  const rows = new Map<number, string[]>();
  for (const [name, d] of depth) rows.set(d, [...(rows.get(d) ?? []), name]);
  const widest = Math.max(...[...rows.values()].map((r) => r.length));
  const width = widest * (NODE_W + GAP_X) + GAP_X;
  const nodes: Node[] = [];
  for (const [d, names] of [...rows.entries()].sort((a, b) => a[0] - b[0])) {
    const rowWidth = names.length * (NODE_W + GAP_X) - GAP_X;
    names.forEach((name, i) => nodes.push({ name, type: asl.States[name]!.Type, x: (width - rowWidth) / 2 + i * (NODE_W + GAP_X), y: GAP_Y + d * (NODE_H + GAP_Y) }));
  }
  const height = GAP_Y + rows.size * (NODE_H + GAP_Y);
  return { nodes, edges, width, height };
}
