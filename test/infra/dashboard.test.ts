/** The CloudWatch dashboard: every figure of the overview from a metric someone publishes, and every alarm linked. */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { RESTORE_TIERS } from '../../functions/domain/rules/archive.js';
import { METRIC_NAMES, METRIC_NAMESPACE } from '../../functions/domain/wiring/metrics.js';
import { buildApp } from '../../infra/build-app.js';
import { parseDeploymentConfig } from '../../infra/config.js';

// Bundling is switched off (no esbuild run per test); the functions' code is not under test here.
const config = parseDeploymentConfig({ account: '111122223333', region: 'eu-west-1', watchedBuckets: ['archive-one'], senderAddress: 'restores@example.com', sesIdentity: 'example.com' });

interface Widget {
  type: string;
  properties: { title?: string; alarms?: string[]; metrics?: unknown[][] };
}
let template: Template;
let widgets: Widget[];

/** The body CloudFormation will hold, with each reference written as `{Ref:Id}` or `{GetAtt:Id.Attr}`. */
function dashboardBody(): { widgets: Widget[] } {
  const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard')) as { Properties: { DashboardBody: { 'Fn::Join': [string, unknown[]] } } }[];
  expect(dashboards).toHaveLength(1);
  const parts = dashboards[0]!.Properties.DashboardBody['Fn::Join'][1];
  const text = parts
    .map((part) => {
      if (typeof part === 'string') return part;
      const ref = part as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
      return ref.Ref ? `{Ref:${ref.Ref}}` : `{GetAtt:${ref['Fn::GetAtt']!.join('.')}}`;
    })
    .join('');
  return JSON.parse(text) as { widgets: Widget[] };
}

/** Each metric of the dashboard as `namespace metric dim=value ...`, dimensions sorted by name (the options object dropped). */
const metricLines = () =>
  widgets.flatMap((w) =>
    (w.properties.metrics ?? []).map((m) => {
      const [namespace, name, ...rest] = m.filter((x) => typeof x === 'string');
      const dims = [];
      for (let i = 0; i < rest.length; i += 2) dims.push(`${rest[i]}=${rest[i + 1]}`);
      return [namespace, name, ...dims.sort()].join(' ');
    }),
  );

beforeAll(() => {
  template = Template.fromStack(buildApp(config, new App({ context: { 'aws:cdk:bundling-stacks': [] } })).stack);
  widgets = dashboardBody().widgets;
});

describe('the dashboard', () => {
  it('shows the executions from Step Functions’ own metrics, for this state machine', () => {
    const [stateMachine] = Object.keys(template.findResources('AWS::StepFunctions::StateMachine'));
    for (const name of ['ExecutionsStarted', 'ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsTimedOut'])
      expect(metricLines()).toContain(`AWS/States ${name} StateMachineArn={Ref:${stateMachine}}`);
  });

  it('shows restores by tier, email delays, emails sent by kind and failed, from the namespace the functions publish to', () => {
    const lines = metricLines();
    for (const tier of RESTORE_TIERS) expect(lines).toContain(`${METRIC_NAMESPACE} RestoresRequested service=restore-steps tier=${tier}`);
    for (const kind of ['started', 'ready', 'failed']) expect(lines).toContain(`${METRIC_NAMESPACE} EmailsSent kind=${kind} service=notify-aggregator`);
    for (const name of ['StartedEmailDelay', 'ReadyEmailDelay', 'EmailsFailed', 'NoticesUndeliverable']) expect(lines).toContain(`${METRIC_NAMESPACE} ${name} service=notify-aggregator`);
    expect(lines).toContain(`${METRIC_NAMESPACE} ReadDetectionDelay service=detect-access`);
    // Every metric the functions publish is on the dashboard, and the dashboard shows no custom metric nobody publishes.
    const custom = new Set(lines.filter((l) => l.startsWith(`${METRIC_NAMESPACE} `)).map((l) => l.split(' ')[1]));
    expect([...custom].sort()).toEqual([...METRIC_NAMES].sort());
  });

  it('shows the dead-letter queue’s depth', () => {
    const [queue] = Object.keys(template.findResources('AWS::SQS::Queue'));
    expect(metricLines()).toContain(`AWS/SQS ApproximateNumberOfMessagesVisible QueueName={GetAtt:${queue}.QueueName}`);
  });

  it('links every alarm of the stack', () => {
    const alarms = Object.keys(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.length).toBeGreaterThan(0);
    const shown = widgets.filter((w) => w.type === 'alarm').flatMap((w) => w.properties.alarms ?? []);
    expect(shown.sort()).toEqual(alarms.map((id) => `{GetAtt:${id}.Arn}`).sort());
  });

  it('alarms on the functions’ metrics read the namespace they are published in', () => {
    const custom = Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter((a) => (a as { Properties: { Namespace?: string } }).Properties.Namespace?.startsWith('S3'));
    expect(custom.length).toBeGreaterThan(0);
    for (const alarm of custom) expect((alarm as { Properties: { Namespace: string } }).Properties.Namespace).toBe(METRIC_NAMESPACE);
  });
});
