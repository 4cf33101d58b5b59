/**
 * The operator's CloudWatch dashboard: the same picture as the local console's overview, from
 * metrics. Executions from Step Functions' own metrics (AWS/States), restores by tier, email
 * delays and sends from the functions' EMF metrics (functions/domain/wiring/metrics.ts), the
 * dead-letter queue from AWS/SQS, and every alarm of the construct with its state and a link.
 */
import { Duration } from 'aws-cdk-lib';
import { AlarmStatusWidget, Dashboard, GraphWidget, Metric, SingleValueWidget, TextWidget, type IAlarm, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { RESTORE_TIERS } from '../../functions/domain/rules/archive.js';
import { METRIC_NAMESPACE, type MetricName } from '../../functions/domain/wiring/metrics.js';

export interface AutorestoreDashboardProps {
  stateMachine: IStateMachine;
  deadLetterQueue: IQueue;
  /** Shown with their state; each title links to the alarm's page in the console. */
  alarms: IAlarm[];
}

const PERIOD = Duration.minutes(5);
const NOTICE_KINDS = ['started', 'ready', 'failed'] as const;

/** A metric the functions publish: `service` is the function's short name (functions/domain/wiring/metrics.ts). */
function published(name: MetricName, service: string, statistic: string, label: string, extra: Record<string, string> = {}): Metric {
  return new Metric({ namespace: METRIC_NAMESPACE, metricName: name, dimensionsMap: { service, ...extra }, statistic, period: PERIOD, label });
}

export class AutorestoreDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: AutorestoreDashboardProps) {
    super(scope, id);
    const { stateMachine, deadLetterQueue } = props;
    const sum = { period: PERIOD, statistic: 'Sum' };
    const executions: IMetric[] = [
      stateMachine.metricStarted({ ...sum, label: 'started' }),
      stateMachine.metricSucceeded({ ...sum, label: 'succeeded' }),
      stateMachine.metricFailed({ ...sum, label: 'failed' }),
      stateMachine.metricTimedOut({ ...sum, label: 'timed out' }),
    ];
    const delays = (name: MetricName, what: string) => [published(name, 'notify-aggregator', 'p50', `${what}, median`), published(name, 'notify-aggregator', 'p90', `${what}, p90`)];
    const dlqDepth = deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum', label: 'events waiting' });

    this.dashboard = new Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.days(1),
      widgets: [
        [
          new TextWidget({
            markdown: [
              '# S3 Autorestore',
              'Archived objects restored when read, and their readers emailed. Executions come from Step Functions; restores, emails and delays from the functions\u2019 metrics (namespace `S3Autorestore`).',
              'Per object: `autorestore history s3://bucket/key` prints the audit timeline with a link to each execution.',
            ].join('\n\n'),
            width: 12,
            height: 4,
          }),
          new AlarmStatusWidget({ title: 'Alarms', alarms: props.alarms, width: 12, height: 4 }),
        ],
        [
          new GraphWidget({ title: 'Workflow executions', left: executions, width: 12, height: 6, stacked: false }),
          new GraphWidget({
            title: 'Restores requested by tier',
            left: RESTORE_TIERS.map((tier) => published('RestoresRequested', 'restore-steps', 'Sum', tier, { tier })),
            width: 12,
            height: 6,
          }),
        ],
        [
          new GraphWidget({
            title: 'Time to email (ms)',
            // Read -> "started" email is the first two legs together: the read reaching the system, then the restore request reaching the reader.
            left: [
              published('ReadDetectionDelay', 'detect-access', 'p50', 'read \u2192 detected, median'),
              published('ReadDetectionDelay', 'detect-access', 'p90', 'read \u2192 detected, p90'),
              ...delays('StartedEmailDelay', 'restore request \u2192 "started" email'),
              ...delays('ReadyEmailDelay', 'completion \u2192 "ready" email'),
            ],
            width: 12,
            height: 6,
          }),
          new GraphWidget({
            title: 'Emails',
            left: NOTICE_KINDS.map((kind) => published('EmailsSent', 'notify-aggregator', 'Sum', `sent: ${kind}`, { kind })),
            right: [published('EmailsFailed', 'notify-aggregator', 'Sum', 'failed sends'), published('NoticesUndeliverable', 'notify-aggregator', 'Sum', 'undeliverable notices')],
            width: 12,
            height: 6,
          }),
        ],
        [
          new GraphWidget({ title: 'Dead-letter queue: events not delivered to a function', left: [dlqDepth], width: 18, height: 6 }),
          new SingleValueWidget({ title: 'Dead-letter queue now', metrics: [dlqDepth], width: 6, height: 6 }),
        ],
      ],
    });
  }
}
