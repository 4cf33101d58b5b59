/**
 * EventBridge's rule APIs on the local default bus (AWS JSON 1.1, `AWSEvents.<Operation>`):
 * DescribeRule and ListTargetsByRule answer what the local "deployment" created, and
 * DisableRule / EnableRule switch a rule off and on: a disabled rule routes nothing, as on AWS.
 * https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_DescribeRule.html
 * https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_ListTargetsByRule.html
 */
import type { Rule } from '../event-bus.js';
import { ServiceError } from '../wire.js';

/** The rule names the local deployment reports (the stack's rule names on AWS). */
export const LOCAL_RULE_NAMES = { archivedRead: 'autorestore-archived-read', restoreLifecycle: 'autorestore-restore-lifecycle' } as const;

export interface DeployedRule {
  /** The name the APIs report (the stack output's). */
  name: string;
  /** The rule on the local bus: its pattern, and the switch the bus reads. */
  rule: Rule;
  targetArn: string;
  deadLetterArn: string;
}

export class EventBridgeRules {
  constructor(
    private readonly rules: DeployedRule[],
    private readonly account: string,
    private readonly region: string,
  ) {}

  handle(operation: string, input: Record<string, unknown>): unknown {
    switch (operation) {
      case 'DescribeRule': {
        const r = this.find(input.Name);
        return {
          Name: r.name,
          Arn: `arn:aws:events:${this.region}:${this.account}:rule/${r.name}`,
          EventPattern: JSON.stringify(r.rule.pattern),
          State: r.rule.enabled === false ? 'DISABLED' : 'ENABLED',
          EventBusName: 'default',
          CreatedBy: this.account,
        };
      }
      case 'ListTargetsByRule': {
        const r = this.find(input.Rule);
        return { Targets: [{ Id: 'Target0', Arn: r.targetArn, RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 }, DeadLetterConfig: { Arn: r.deadLetterArn } }] };
      }
      case 'DisableRule':
      case 'EnableRule':
        this.find(input.Name).rule.enabled = operation === 'EnableRule';
        return {};
      default:
        throw new ServiceError(400, 'UnknownOperationException', `Operation ${operation} is not supported by the local EventBridge`);
    }
  }

  private find(name: unknown): DeployedRule {
    if (typeof name !== 'string' || !name) throw new ServiceError(400, 'ValidationException', 'The rule name is required');
    const bus = 'default';
    const rule = this.rules.find((r) => r.name === name || `arn:aws:events:${this.region}:${this.account}:rule/${r.name}` === name);
    if (!rule) throw new ServiceError(400, 'ResourceNotFoundException', `Rule ${name} does not exist on EventBus ${bus}.`);
    return rule;
  }
}
