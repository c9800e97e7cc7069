import { mkdir, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { Level } from 'level';
import { documentClient } from '../../functions/adapters/clients.ts';
import { FINDINGS_TABLE, STATE_TABLE } from '../../functions/adapters/tables.ts';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** Table names in a local store (the deployed stack names its own). */
export const LOCAL_TABLES = { findings: 'findings', state: 'state' } as const;

/** A DynamoDB-compatible store on this machine: dynalite, persisted under `<dir>/dynamodb`. */
export interface LocalStore {
  endpoint: string;
  client: DynamoDBDocumentClient;
  /** Client settings for another thread or process to reach the same store. */
  clientConfig: { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } };
  close(): Promise<void>;
}

/** A store that cannot be opened: in use by another process, damaged, or not there. One line for people. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly dir: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`store ${dir}: ${reason}`, options);
  }
}

export interface OpenStoreOptions {
  /** Refuse a folder that holds no store yet instead of creating one (commands that only read). */
  mustExist?: boolean;
}

/**
 * Starts dynalite on a free loopback port with its data under `dir`, and creates the tables if
 * they are not there. One process at a time per folder: LevelDB locks it, and a second process
 * gets a {@link StoreError} saying so (dynalite itself would crash the process on its first request).
 */
export async function openLocalStore(dir: string, options: OpenStoreOptions = {}): Promise<LocalStore> {
  const path = join(dir, 'dynamodb');
  if (options.mustExist && !(await isDirectory(path))) {
    throw new StoreError(
      dir,
      (await isDirectory(dir))
        ? 'holds no trail-auditor store (no dynamodb folder): run an audit with this --store first'
        : 'does not exist',
    );
  }
  await mkdir(path, { recursive: true });
  await checkOpenable(dir, path);
  // Loaded on first use, so that commands that never open a store start faster.
  const { default: dynalite } = await import('dynalite');
  const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const clientConfig = {
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
  const raw = new DynamoDBClient(clientConfig);
  try {
    await createTables(raw);
  } catch (error) {
    raw.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw new StoreError(dir, `cannot create its tables (${(error as Error).message})`, { cause: error });
  }
  raw.destroy();
  const client = documentClient(clientConfig);
  return {
    endpoint: clientConfig.endpoint,
    client,
    clientConfig,
    async close() {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function createTables(raw: DynamoDBClient): Promise<void> {
  for (const table of tableDefinitions()) {
    try {
      await raw.send(new CreateTableCommand(table));
    } catch (error) {
      if (!(error instanceof ResourceInUseException) && (error as Error).name !== 'ResourceInUseException') throw error;
    }
    // dynalite answers "not found" while a new table is CREATING, as DynamoDB does.
    while ((await raw.send(new DescribeTableCommand({ TableName: table.TableName }))).Table?.TableStatus !== 'ACTIVE') {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}

/**
 * Opens the LevelDB folder once, before dynalite does: dynalite opens it lazily and throws from
 * inside its request handler when that fails, which no caller can catch. The same LevelDB
 * (dynalite's own dependency) says whether the folder is locked by another process or damaged.
 */
async function checkOpenable(dir: string, path: string): Promise<void> {
  const db = new Level(path);
  try {
    await db.open();
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    if (cause?.code === 'LEVEL_LOCKED') {
      throw new StoreError(
        dir,
        'is in use by another trail-auditor process (one process at a time per store); wait for it to finish, or use another --store',
        { cause: error },
      );
    }
    throw new StoreError(
      dir,
      `is damaged or unreadable (${cause?.message ?? (error as Error).message}); move it aside and audit again to rebuild it`,
      { cause: error },
    );
  } finally {
    await db.close().catch(() => undefined);
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** The two tables, with the same keys and GSIs as the deployed stack. */
export function tableDefinitions(): CreateTableCommandInput[] {
  const indexes = Object.values(FINDINGS_TABLE.indexes);
  const attributes = new Set<string>([
    FINDINGS_TABLE.partitionKey,
    ...indexes.flatMap((i) => [i.partitionKey, i.sortKey]),
  ]);
  return [
    {
      TableName: LOCAL_TABLES.findings,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: FINDINGS_TABLE.partitionKey, KeyType: 'HASH' }],
      AttributeDefinitions: [...attributes].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
      GlobalSecondaryIndexes: indexes.map((index) => ({
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      })),
    },
    {
      TableName: LOCAL_TABLES.state,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: STATE_TABLE.partitionKey, KeyType: 'HASH' },
        { AttributeName: STATE_TABLE.sortKey, KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: STATE_TABLE.partitionKey, AttributeType: 'S' },
        { AttributeName: STATE_TABLE.sortKey, AttributeType: 'S' },
      ],
    },
  ];
}
