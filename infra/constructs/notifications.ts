/** The notification aggregator: receives notices from the workflow, emails batches on a schedule. */
import { Arn, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { METRIC_NAMESPACE } from '../../functions/domain/wiring/metrics.js';
import type { DeploymentConfig } from '../config.js';
import type { FunctionEnvironments } from '../function-environments.js';
import { AutorestoreFunction } from './autorestore-function.js';
import type { StateTables } from './state-tables.js';

export interface NotificationsProps {
  config: DeploymentConfig;
  tables: StateTables;
  /** The aggregator's environment (infra/function-environments.ts). */
  environment: FunctionEnvironments['notify-aggregator'];
  logRetention: RetentionDays;
  removalPolicy: RemovalPolicy;
}

export class Notifications extends Construct {
  readonly aggregator: AutorestoreFunction;
  readonly schedule: Rule;

  constructor(scope: Construct, id: string, props: NotificationsProps) {
    super(scope, id);
    const { config, tables } = props;
    this.aggregator = new AutorestoreFunction(this, 'NotifyAggregator', {
      name: 'notify-aggregator',
      description: 'Queues restore notices from the workflow and emails them in batches, one per recipient',
      environment: props.environment,
      // The environment's sending lease (AGGREGATOR_LEASE_SECONDS) is at least this timeout.
      timeout: Duration.minutes(2),
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    tables.objects.grantReadWriteData(this.aggregator);
    tables.notices.grantReadWriteData(this.aggregator);
    tables.principals.grantReadData(this.aggregator);
    tables.grantAuditRecording(this.aggregator);
    // SES authorizes SendEmail against every identity involved: the sender's (its address, when
    // verified on its own, rather than the domain), each recipient's while the account is in the
    // sandbox, and the configuration set. Any identity of this account and Region may therefore be
    // checked; the From address condition is what keeps the function to the configured sender.
    const sesArn = (resource: string, resourceName: string) => Arn.format({ service: 'ses', resource, resourceName }, Stack.of(this));
    this.aggregator.addToRolePolicy(
      new PolicyStatement({
        actions: ['ses:SendEmail'],
        resources: [sesArn('identity', '*'), ...(config.sesConfigurationSet ? [sesArn('configuration-set', config.sesConfigurationSet)] : [])],
        conditions: { StringEquals: { 'ses:FromAddress': config.senderAddress } },
      }),
    );

    this.schedule = new Rule(this, 'Tick', {
      description: 'Sends the notification batches that are due',
      schedule: Schedule.rate(Duration.minutes(config.aggregatorScheduleMinutes)),
      targets: [new LambdaFunction(this.aggregator, { event: RuleTargetInput.fromObject({ action: 'tick' }), retryAttempts: 0 })],
    });

    // Published by the aggregator as embedded-metric-format log lines (functions/domain/wiring/metrics.ts).
    new Alarm(this, 'NoticesUndeliverable', {
      alarmDescription: 'SES refused an email for good (invalid or rejected address): a reader will not be told; see the NOTICE_UNDELIVERABLE audit entries',
      metric: new Metric({ namespace: METRIC_NAMESPACE, metricName: 'NoticesUndeliverable', dimensionsMap: { service: 'notify-aggregator' }, statistic: 'Sum', period: Duration.minutes(5) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    new Alarm(this, 'AggregatorErrors', {
      alarmDescription: 'The notification aggregator failed: emails may be delayed',
      metric: this.aggregator.metricErrors({ period: Duration.minutes(5) }),
      threshold: 1,
      evaluationPeriods: 3,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }
}
