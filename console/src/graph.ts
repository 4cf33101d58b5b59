/**
 * The state machine as a graph, laid out by dagre from its ASL: every state a box, every
 * transition an edge (Next, each Choice rule labelled with its condition, Default, each Catch
 * labelled with its errors) and each Retry a loop on its state. Pure: no React, no DOM.
 */
import dagre, { type EdgeLabel, type GraphLabel, type NodeLabel, type Point } from '@dagrejs/dagre';

export interface AslChoiceRule {
  Next?: string;
  Variable?: string;
  And?: AslChoiceRule[];
  Or?: AslChoiceRule[];
  Not?: AslChoiceRule;
  [comparison: string]: unknown;
}
export interface AslState {
  Type: string;
  Next?: string;
  Default?: string;
  End?: boolean;
  Choices?: AslChoiceRule[];
  Catch?: { Next: string; ErrorEquals: string[] }[];
  Retry?: { ErrorEquals: string[]; MaxAttempts?: number }[];
}
export interface Asl {
  StartAt: string;
  States: Record<string, AslState>;
}

export type EdgeKind = 'next' | 'choice' | 'default' | 'catch' | 'retry';

export interface GraphEdge {
  id: string;
  from: string;
  to: string;
  kind: EdgeKind;
  /** Short enough to sit on the edge: a Choice rule's last path segment, a Catch's errors. */
  label?: string;
  /** The whole condition or error list, shown on hover. */
  title?: string;
  /** The route dagre chose, in graph coordinates; a retry loop has none (it is drawn on its box). */
  points: { x: number; y: number }[];
  labelAt?: { x: number; y: number };
}
export interface GraphNode {
  name: string;
  type: string;
  /** Top-left corner, in graph coordinates. */
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Room for a name on two lines and the state's type beneath. */
export const NODE_H = 54;
const MIN_NODE_W = 120;
const MAX_NODE_W = 172;
const CHAR_W = 6.8;
const LABEL_CHAR_W = 6.2;
const LABEL_H = 16;
const LABEL_MAX = 26;

/**
 * Choice rules as a reader would write them: `$.inspection.state == "ARCHIVED"`, or with
 * `short`, only the last segment of each path: `state == "ARCHIVED"`.
 */
export function describeRule(rule: AslChoiceRule, short = false): string {
  if (rule.And) return rule.And.map((r) => describeRule(r, short)).join(' and ');
  if (rule.Or) return rule.Or.map((r) => `(${describeRule(r, short)})`).join(' or ');
  if (rule.Not) return `not (${describeRule(rule.Not, short)})`;
  const variable = short ? (rule.Variable ?? '?').replace(/^.*\./, '') : (rule.Variable ?? '?');
  for (const [operator, value] of Object.entries(rule)) {
    if (operator === 'Variable' || operator === 'Next') continue;
    return `${variable} ${operatorText(operator, value)}`;
  }
  return variable;
}

function operatorText(operator: string, value: unknown): string {
  const shown = JSON.stringify(value);
  if (operator === 'IsPresent') return value === true ? 'is present' : 'is absent';
  if (operator === 'IsNull') return value === true ? 'is null' : 'is not null';
  if (operator.startsWith('Is')) return `${value === true ? 'is' : 'is not'} ${operator.slice(2).toLowerCase()}`;
  const symbol = [
    ['GreaterThanEquals', '>='],
    ['LessThanEquals', '<='],
    ['GreaterThan', '>'],
    ['LessThan', '<'],
    ['Equals', '=='],
    ['Matches', 'matches'],
  ].find(([suffix]) => operator.replace(/Path$/, '').endsWith(suffix!));
  return `${symbol?.[1] ?? operator} ${operator.endsWith('Path') ? String(value) : shown}`;
}

const shorten = (text: string) => (text.length > LABEL_MAX ? `${text.slice(0, LABEL_MAX - 1)}…` : text);

/** Every transition of the definition, in definition order. */
export function edgesOf(asl: Asl): Omit<GraphEdge, 'points' | 'labelAt'>[] {
  const edges: Omit<GraphEdge, 'points' | 'labelAt'>[] = [];
  const add = (from: string, to: string, kind: EdgeKind, label?: string, title?: string) =>
    edges.push({ id: `${from}\u2192${to}#${kind}#${edges.length}`, from, to, kind, ...(label ? { label: shorten(label), title: title ?? label } : {}) });
  for (const [name, s] of Object.entries(asl.States)) {
    if (s.Next) add(name, s.Next, 'next');
    for (const rule of s.Choices ?? []) if (rule.Next) add(name, rule.Next, 'choice', describeRule(rule, true), describeRule(rule));
    if (s.Default) add(name, s.Default, 'default', 'Default');
    for (const c of s.Catch ?? []) add(name, c.Next, 'catch', c.ErrorEquals.join(', '), `Catch ${c.ErrorEquals.join(', ')}`);
    // A Retrier without MaxAttempts retries 3 times (docs/aws-behaviour.md D6); only this label depends on it.
    for (const r of s.Retry ?? []) add(name, name, 'retry', `retry ×${r.MaxAttempts ?? 3}`, `Retry ${r.ErrorEquals.join(', ')}`);
  }
  return edges;
}

/** Narrow boxes keep the graph readable when it is fitted to the window: long names wrap onto a second line. */
export function nodeWidth(name: string): number {
  return Math.min(MAX_NODE_W, Math.max(MIN_NODE_W, Math.ceil(name.length * CHAR_W) + 24));
}

/** Lays the graph out top to bottom in flow order; labels get their own space, so no box covers one. */
export function layout(asl: Asl): { nodes: GraphNode[]; edges: GraphEdge[]; width: number; height: number } {
  const g = new dagre.graphlib.Graph<GraphLabel, NodeLabel, EdgeLabel>({ multigraph: true });
  g.setGraph({ rankdir: 'TB', ranker: 'network-simplex', nodesep: 28, ranksep: 40, edgesep: 10, marginx: 40, marginy: 16 });
  // dagre's default ordering starts from insertion order: StartAt first keeps the flow reading downwards.
  const names = [asl.StartAt, ...Object.keys(asl.States).filter((n) => n !== asl.StartAt)];
  for (const name of names) g.setNode(name, { width: nodeWidth(name), height: NODE_H });
  const edges = edgesOf(asl);
  for (const e of edges) {
    if (e.kind === 'retry' || !asl.States[e.to]) continue;
    const label = e.label;
    g.setEdge(e.from, e.to, label ? { width: Math.ceil(label.length * LABEL_CHAR_W) + 8, height: LABEL_H, labelpos: 'c', minlen: 1 } : { width: 0, height: 0, minlen: 1 }, e.id);
  }
  dagre.layout(g);
  const nodes = names.map((name) => {
    // dagre places each node by its centre.
    const n = g.node(name);
    return { name, type: asl.States[name]!.Type, x: (n.x ?? 0) - n.width / 2, y: (n.y ?? 0) - n.height / 2, width: n.width, height: n.height };
  });
  const laidOut = edges.map((e): GraphEdge => {
    if (e.kind === 'retry' || !asl.States[e.to]) return { ...e, points: [] };
    const route = g.edge({ v: e.from, w: e.to, name: e.id });
    return {
      ...e,
      points: (route.points ?? []).map((p: Point) => ({ x: p.x, y: p.y })),
      ...(e.label && route.x !== undefined && route.y !== undefined ? { labelAt: { x: route.x, y: route.y } } : {}),
    };
  });
  const graph = g.graph();
  return { nodes, edges: laidOut, width: graph.width ?? 0, height: graph.height ?? 0 };
}
