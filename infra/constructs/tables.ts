/**
 * The DynamoDB tables, built from `TABLES` in `src/tables.ts`: the same key names and indexes the
 * code queries, so the stack and the code cannot disagree about keys.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { TABLES, type TableDefinition } from '../../src/tables.ts';
import type { Stage } from '../settings.ts';

export type TableId = (typeof TABLES)[number]['id'];

export interface TrackerTablesProps {
  readonly stage: Stage;
}

export class TrackerTables extends Construct {
  readonly byId: Readonly<Record<TableId, Table>>;

  constructor(scope: Construct, id: string, props: TrackerTablesProps) {
    super(scope, id);
    const byId: Partial<Record<TableId, Table>> = {};
    for (const definition of TABLES) {
      byId[definition.id] = buildTable(this, definition, props.stage);
    }
    this.byId = byId as Record<TableId, Table>;
  }
}

function buildTable(scope: Construct, definition: TableDefinition, stage: Stage): Table {
  const prod = stage === 'prod';
  const table = new Table(scope, definition.id, {
    partitionKey: { name: definition.partitionKey, type: AttributeType.STRING },
    sortKey: { name: definition.sortKey, type: AttributeType.STRING },
    billingMode: BillingMode.PAY_PER_REQUEST,
    encryption: TableEncryption.AWS_MANAGED,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    deletionProtection: prod,
    removalPolicy: prod ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    ...(definition.ttlAttribute ? { timeToLiveAttribute: definition.ttlAttribute } : {}),
  });
  for (const index of definition.globalIndexes) {
    table.addGlobalSecondaryIndex({
      indexName: index.name,
      partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
      sortKey: { name: index.sortKey, type: AttributeType.STRING },
      projectionType: index.projection === 'ALL' ? ProjectionType.ALL : ProjectionType.KEYS_ONLY,
    });
  }
  return table;
}
