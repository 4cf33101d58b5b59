/**
 * The execution drawn like the Step Functions console: dagre's layout (graph.ts) in a React Flow
 * canvas with pan and zoom. The layout depends only on the definition, so a running execution's
 * refresh recolours the boxes without moving them or the viewport.
 */
import {
  Background,
  BaseEdge,
  Controls,
  EdgeLabelRenderer,
  Handle,
  MarkerType,
  Position,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
  type Edge,
  type EdgeProps,
  type Node,
  type NodeProps,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useEffect, useMemo } from 'react';
import { layout, type Asl, type EdgeKind, type GraphEdge } from './graph';
import type { Transition } from './history';

type StateData = { name: string; type: string; visited: boolean; current: boolean; failed: boolean; selected: boolean; retries: number };
type StateNode = Node<StateData, 'state'>;
type RouteData = { kind: EdgeKind; from: string; to: string; label?: string; title?: string; points: GraphEdge['points']; labelAt?: GraphEdge['labelAt']; taken: boolean; width: number };
type RouteEdge = Edge<RouteData, 'route'>;

function StateBox({ data }: NodeProps<StateNode>) {
  const classes = ['state', data.type.toLowerCase(), data.visited && 'visited', data.current && 'current', data.failed && 'failed', data.selected && 'selected'].filter(Boolean).join(' ');
  return (
    <div className={classes} data-state={data.name} data-visited={data.visited} data-current={data.current} title={`${data.type}: ${data.name}`}>
      <Handle type="target" position={Position.Top} isConnectable={false} />
      <span className="name">{data.name}</span>
      <span className="type">{data.type}</span>
      <Handle type="source" position={Position.Bottom} isConnectable={false} />
    </div>
  );
}

/** dagre's route through its bend points, rounded at each bend; a retry is a loop on the box's right side. */
function Route({ id, data, markerEnd }: EdgeProps<RouteEdge>) {
  if (!data) return null;
  const className = `edge ${data.kind}${data.taken ? ' taken' : ''}`;
  if (data.kind === 'retry') {
    // Drawn from the box's own geometry: the loop leaves the right side and comes back to it.
    const [x, y] = [data.points[0]?.x ?? 0, data.points[0]?.y ?? 0];
    const path = `M ${x} ${y - 10} C ${x + 34} ${y - 26}, ${x + 34} ${y + 26}, ${x} ${y + 10}`;
    return (
      <g className={className} data-from={data.from} data-to={data.to} data-kind={data.kind}>
        <title>{data.title}</title>
        <BaseEdge id={id} path={path} markerEnd={markerEnd} />
      </g>
    );
  }
  const pts = data.points;
  let path = `M ${pts[0]!.x} ${pts[0]!.y}`;
  for (let i = 1; i < pts.length - 1; i++) {
    const mid = { x: (pts[i]!.x + pts[i + 1]!.x) / 2, y: (pts[i]!.y + pts[i + 1]!.y) / 2 };
    path += ` Q ${pts[i]!.x} ${pts[i]!.y} ${i === pts.length - 2 ? `${pts[i + 1]!.x} ${pts[i + 1]!.y}` : `${mid.x} ${mid.y}`}`;
  }
  if (pts.length === 2) path += ` L ${pts[1]!.x} ${pts[1]!.y}`;
  return (
    <g className={className} data-from={data.from} data-to={data.to} data-kind={data.kind}>
      <BaseEdge id={id} path={path} markerEnd={markerEnd} />
      {data.label && data.labelAt && (
        <EdgeLabelRenderer>
          <div className={`edge-label ${data.kind}${data.taken ? ' taken' : ''}`} title={data.title} style={{ transform: `translate(-50%, -50%) translate(${data.labelAt.x}px, ${data.labelAt.y}px)` }}>
            {data.label}
          </div>
        </EdgeLabelRenderer>
      )}
    </g>
  );
}

const nodeTypes = { state: StateBox };
const edgeTypes = { route: Route };

export interface ExecutionGraphProps {
  definition: Asl;
  visited: Set<string>;
  current: string[];
  failed: Set<string>;
  retried: Map<string, number>;
  transitions: Transition[];
  selected?: string;
  onSelect: (state: string) => void;
}

/** Keeps the whole graph in view when the window changes size (from 1024 px wide up). */
function FitOnResize() {
  const flow = useReactFlow();
  useEffect(() => {
    const refit = () => void flow.fitView({ padding: 0.04 });
    window.addEventListener('resize', refit);
    return () => window.removeEventListener('resize', refit);
  }, [flow]);
  return null;
}

function Canvas(props: ExecutionGraphProps) {
  const graph = useMemo(() => layout(props.definition), [props.definition]);
  const takenKinds = useMemo(() => {
    const taken = new Set<string>();
    for (const t of props.transitions) taken.add(`${t.from}\u0000${t.to}\u0000${t.caught ? 'catch' : 'flow'}`);
    return taken;
  }, [props.transitions]);
  const nodes: StateNode[] = graph.nodes.map((n) => ({
    id: n.name,
    type: 'state',
    position: { x: n.x, y: n.y },
    width: n.width,
    height: n.height,
    style: { width: n.width, height: n.height },
    draggable: false,
    connectable: false,
    data: {
      name: n.name,
      type: n.type,
      visited: props.visited.has(n.name),
      current: props.current.includes(n.name),
      failed: props.failed.has(n.name),
      selected: props.selected === n.name,
      retries: props.retried.get(n.name) ?? 0,
    },
  }));
  const byName = new Map(graph.nodes.map((n) => [n.name, n]));
  const edges: RouteEdge[] = graph.edges
    .filter((e) => byName.has(e.to))
    .map((e) => {
      const box = byName.get(e.from)!;
      const taken = e.kind === 'retry' ? (props.retried.get(e.from) ?? 0) > 0 : takenKinds.has(`${e.from}\u0000${e.to}\u0000${e.kind === 'catch' ? 'catch' : 'flow'}`);
      const points = e.kind === 'retry' ? [{ x: box.x + box.width, y: box.y + box.height / 2 }] : e.points;
      return {
        id: e.id,
        source: e.from,
        target: e.to,
        type: 'route',
        selectable: false,
        focusable: false,
        markerEnd: { type: MarkerType.ArrowClosed, width: 14, height: 14 },
        zIndex: taken ? 1 : 0,
        data: { kind: e.kind, from: e.from, to: e.to, label: e.label, title: e.title, points, labelAt: e.labelAt, taken, width: box.width },
      };
    });
  return (
    <ReactFlow
      nodes={nodes}
      edges={edges}
      nodeTypes={nodeTypes}
      edgeTypes={edgeTypes}
      fitView
      fitViewOptions={{ padding: 0.04 }}
      minZoom={0.1}
      maxZoom={2}
      nodesDraggable={false}
      nodesConnectable={false}
      elementsSelectable={false}
      onNodeClick={(_, node) => props.onSelect(node.id)}
      proOptions={{ hideAttribution: true }}
    >
      <Background gap={24} size={1} />
      <Controls showInteractive={false} />
      <FitOnResize />
    </ReactFlow>
  );
}

export function ExecutionGraph(props: ExecutionGraphProps) {
  return (
    <div className="graph" role="img" aria-label="state machine graph">
      <ReactFlowProvider>
        <Canvas {...props} />
      </ReactFlowProvider>
    </div>
  );
}
