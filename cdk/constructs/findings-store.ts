import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { FINDINGS_TABLE, STATE_TABLE } from '../../functions/adapters/tables.ts';
import { FINDINGS_TTL_ATTRIBUTE } from '../config.ts';

export interface FindingsStoreProps {
  /** RETAIN (default) keeps the findings when the stack is deleted. */
  findingsRetention: 'retain' | 'destroy';
  /** When set, findings expire on FINDINGS_TTL_ATTRIBUTE (the writer sets it). */
  findingsTtlDays?: number;
  /** Customer managed key for both tables; AWS managed encryption without one. */
  key?: IKey;
}

/**
 * The two tables, keyed exactly as functions/adapters/tables.ts says (the local store and the
 * queries use the same constants, so they cannot drift apart).
 */
export class FindingsStore extends Construct {
  /** One item per (detector, eventID); GSIs by detector, account, principal, run and review status. */
  readonly findings: Table;
  /** Run plans, manifests, batch results, the scheduled checkpoint and detector state. */
  readonly state: Table;

  constructor(scope: Construct, id: string, props: FindingsStoreProps) {
    super(scope, id);
    const encryption = props.key
      ? { encryption: TableEncryption.CUSTOMER_MANAGED, encryptionKey: props.key }
      : { encryption: TableEncryption.AWS_MANAGED };

    this.findings = new Table(this, 'Findings', {
      partitionKey: { name: FINDINGS_TABLE.partitionKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // A retained audit record is also protected from a DeleteTable by hand or by script; a user
      // who chose findingsRetention=destroy gets a table the stack can delete.
      deletionProtection: props.findingsRetention === 'retain',
      ...encryption,
      ...(props.findingsTtlDays !== undefined ? { timeToLiveAttribute: FINDINGS_TTL_ATTRIBUTE } : {}),
      // The audit record outlives the deployment unless the user opts out.
      removalPolicy: props.findingsRetention === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    for (const index of Object.values(FINDINGS_TABLE.indexes)) {
      this.findings.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        projectionType: ProjectionType.ALL,
      });
    }

    this.state = new Table(this, 'State', {
      partitionKey: { name: STATE_TABLE.partitionKey, type: AttributeType.STRING },
      sortKey: { name: STATE_TABLE.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: STATE_TABLE.ttlAttribute,
      ...encryption,
      // Run state is rebuilt by the next run: losing the checkpoint only means the first scheduled
      // run after a redeploy looks back initialLookbackHours again, and findings are deduplicated.
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }
}
