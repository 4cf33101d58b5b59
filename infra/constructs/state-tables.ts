/** The system's state: restore records, the principal map, pending notices, the audit history. */
import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table } from 'aws-cdk-lib/aws-dynamodb';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { TABLES, type TableDefinition, type TableRole } from '../table-definitions.js';

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
    const table = (constructId: string, role: TableRole) => {
      const def: TableDefinition = TABLES[role];
      const key = (name: string | undefined) => (name ? { name, type: AttributeType.STRING } : undefined);
      const created = new Table(this, constructId, {
        partitionKey: key(def.partitionKey)!,
        sortKey: key(def.sortKey),
        billingMode: BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        deletionProtection: props.production,
        removalPolicy: props.production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      });
      for (const index of def.indexes ?? []) {
        created.addGlobalSecondaryIndex({ indexName: index.name, partitionKey: key(index.partitionKey)!, sortKey: key(index.sortKey), projectionType: ProjectionType.ALL });
      }
      return created;
    };
    this.objects = table('Objects', 'objects');
    this.principals = table('Principals', 'principals');
    this.notices = table('Notices', 'notices');
    this.audit = table('Audit', 'audit');
  }

  /**
   * What recording an audit entry takes (functions/domain/stores/audit.ts): conditional puts, and a
   * GetItem of the dedupe marker when a duplicate event finds one already there.
   */
  grantAuditRecording(grantee: IGrantable): void {
    this.audit.grantWriteData(grantee);
    this.audit.grant(grantee, 'dynamodb:GetItem');
  }
}
