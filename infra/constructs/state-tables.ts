/** The system's state: restore records, the principal map, pending notices, the audit history. */
import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, type TableProps } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { PENDING_INDEX } from '../../functions/shared/notices.js';

export interface StateTablesProps {
  production: boolean;
}

export class StateTables extends Construct {
  readonly objects: Table;
  readonly principals: Table;
  readonly notices: Table;
  readonly audit: Table;

  constructor(scope: Construct, id: string, props: StateTablesProps) {
    super(scope, id);
    const common: Partial<TableProps> = {
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.production,
      removalPolicy: props.production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    };
    this.objects = new Table(this, 'Objects', { ...common, partitionKey: { name: 'objectId', type: AttributeType.STRING } });
    this.principals = new Table(this, 'Principals', { ...common, partitionKey: { name: 'principal', type: AttributeType.STRING } });
    this.notices = new Table(this, 'Notices', {
      ...common,
      partitionKey: { name: 'readerId', type: AttributeType.STRING },
      sortKey: { name: 'noticeKey', type: AttributeType.STRING },
    });
    // Sparse: only pending notices carry the partition attribute, so the tick reads what is pending.
    this.notices.addGlobalSecondaryIndex({
      indexName: PENDING_INDEX,
      partitionKey: { name: 'pendingPartition', type: AttributeType.STRING },
      sortKey: { name: 'createdAt', type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });
    this.audit = new Table(this, 'Audit', {
      ...common,
      partitionKey: { name: 'objectId', type: AttributeType.STRING },
      sortKey: { name: 'at', type: AttributeType.STRING },
    });
  }
}
