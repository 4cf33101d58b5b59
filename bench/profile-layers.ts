/**
 * `tsx bench/profile-layers.ts <file.cpuprofile>`: a CPU profile's samples grouped by the layer
 * of the function each sample was in (its script's package or module), as the profile tables of
 * RESULTS.md give them. Profiles come from `node --cpu-prof --import tsx bench/scenario.ts ...`.
 */
import { readFileSync } from 'node:fs';

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string } }[];
  samples: number[];
}

/** Layers by the first pattern that matches a script's URL (or a function's name where the URL is empty). */
const LAYERS: [string, RegExp][] = [
  ['garbage collection', /^\(garbage collector\)$/],
  ['idle', /^\((idle|program)\)$/],
  ['AWS SDK clients', /node_modules\/(@aws-sdk|@smithy|@aws-crypto|fast-xml-parser|tslib|@aws\/)/],
  ['DynamoDB (dynalite, LevelDB)', /node_modules\/(dynalite|classic-level|abstract-level|level|lazy|big\.js|lock|async|once|module-error|level-[a-z-]+)\//],
  ['S3 (s3rver, Koa)', /node_modules\/(s3rver|koa|@koa|xmlbuilder2|xml2js|busboy|statuses|http-errors|mime|fresh|accepts|type-is|on-finished|negotiator|content-type|cookies)|local\/s3\//],
  ['Step Functions (interpreter, histories)', /node_modules\/(aws-local-stepfunctions|jsonpath|asl-)|local\/(step-functions|asl-runner|task-tokens|state-journal)/],
  ['handlers (middy, Powertools, domain code)', /node_modules\/(@middy|@aws-lambda-powertools|zod)|\/functions\//],
  ['journals, event bus', /local\/(event-bus|event-pattern|cloudtrail)/],
  ['local cloud, other (router, wire, SES)', /\/local\//],
  ['bench client', /\/bench\//],
  ['tsx loader', /node_modules\/(tsx|esbuild)/],
  ['Node.js HTTP, sockets, event loop', /^node:|^$/],
];

export function layersOf(profile: CpuProfile): { layer: string; share: number }[] {
  const layerOf = new Map<number, string>();
  for (const node of profile.nodes) {
    const { url, functionName } = node.callFrame;
    const key = url || functionName;
    layerOf.set(node.id, LAYERS.find(([, pattern]) => pattern.test(url) || (!url && pattern.test(key)))?.[0] ?? 'other');
  }
  const counts = new Map<string, number>();
  for (const id of profile.samples) counts.set(layerOf.get(id)!, (counts.get(layerOf.get(id)!) ?? 0) + 1);
  const busy = profile.samples.length - (counts.get('idle') ?? 0);
  return [...counts]
    .filter(([layer]) => layer !== 'idle')
    .map(([layer, n]) => ({ layer, share: (100 * n) / busy }))
    .sort((a, b) => b.share - a.share);
}

if (process.argv[2]) {
  const profile = JSON.parse(readFileSync(process.argv[2], 'utf8')) as CpuProfile;
  for (const { layer, share } of layersOf(profile)) process.stdout.write(`${share.toFixed(1).padStart(5)} %  ${layer}\n`);
}
