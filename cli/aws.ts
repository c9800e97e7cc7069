import { randomUUID } from 'node:crypto';
import {
  DescribeExecutionCommand,
  ListStateMachinesCommand,
  StartExecutionCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { sfnClient } from '../functions/adapters/clients.ts';
import { parseRunInput } from '../functions/core/run-input.ts';
import { InvalidInputError } from '../functions/core/errors.ts';
import { escapeControl, escapeLines } from './format.ts';

export interface BackfillOptions {
  stateMachine: string;
  from: string;
  to: string;
  accounts?: string[];
  regions?: string[];
  wait?: boolean;
  json?: boolean;
  /** Longest range one execution plans; longer ranges become several executions. */
  daysPerExecution?: number;
}

/** Polling interval of `backfill --wait`. */
export const POLL_MS = 5000;

/**
 * Starts a backfill execution after validating the range (so a typo fails here, not in AWS),
 * and with `wait` follows it to the end. Returns the process exit code.
 */
export async function startBackfill(
  options: BackfillOptions,
  client: SFNClient = sfnClient(),
  io: { log: (line: string) => void; sleep: (ms: number) => Promise<void> } = {
    log: console.log,
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  },
): Promise<number> {
  const input = parseRunInput({
    mode: 'backfill',
    from: options.from,
    to: options.to,
    ...(options.accounts ? { accounts: options.accounts } : {}),
    ...(options.regions ? { regions: options.regions } : {}),
  });
  if (input.mode !== 'backfill') throw new InvalidInputError('a backfill needs "from" and "to"');
  const arn = await resolveStateMachine(client, options.stateMachine);
  const chunks = splitRange(input.from, input.to, options.daysPerExecution ?? DEFAULT_DAYS_PER_EXECUTION);
  if (chunks.length > 1 && !options.json) {
    io.log(
      `The range is split into ${chunks.length} executions of at most ${options.daysPerExecution ?? DEFAULT_DAYS_PER_EXECUTION} days (each execution's work list must fit Step Functions' 256 KB state limit).`,
    );
  }
  let code = 0;
  for (const chunk of chunks) {
    const chunkInput = { ...input, ...chunk };
    const name = `backfill-${chunk.from.slice(0, 10)}-${randomUUID().slice(0, 8)}`;
    const started = await client.send(
      new StartExecutionCommand({ stateMachineArn: arn, name, input: JSON.stringify(chunkInput) }),
    );
    const executionArn = started.executionArn!;
    if (!options.wait) {
      io.log(options.json ? JSON.stringify({ executionArn, input: chunkInput }) : `Started ${executionArn}`);
      continue;
    }
    if (!options.json) io.log(`Started ${executionArn}; waiting for it to finish...`);
    // One at a time: the executions share the account's Lambda concurrency and the table.
    code = Math.max(code, await follow(client, executionArn, options, io));
  }
  return code;
}

/**
 * Days of trail one execution plans by default. A 100-account, 17-region organisation trail
 * writes about 500,000 files a day; 30 days of it is 30,600 work items, 67 % of what fits
 * Step Functions' 256 KB state payload (measured in test/scale/plan-simulation.test.ts).
 */
export const DEFAULT_DAYS_PER_EXECUTION = 30;

/** Splits [from, to) into consecutive ranges of at most `days` days. */
export function splitRange(from: string, to: string, days: number): { from: string; to: string }[] {
  if (!Number.isFinite(days) || days <= 0)
    throw new InvalidInputError(`--days-per-execution must be a positive number, got ${days}`);
  const step = days * 86_400_000;
  const end = Date.parse(to);
  const chunks: { from: string; to: string }[] = [];
  for (let start = Date.parse(from); start < end; start += step) {
    chunks.push({ from: new Date(start).toISOString(), to: new Date(Math.min(start + step, end)).toISOString() });
  }
  return chunks;
}

async function follow(
  client: SFNClient,
  executionArn: string,
  options: BackfillOptions,
  io: { log: (line: string) => void; sleep: (ms: number) => Promise<void> },
): Promise<number> {
  for (;;) {
    const execution = await client.send(new DescribeExecutionCommand({ executionArn }));
    if (execution.status === 'RUNNING' || execution.status === 'PENDING_REDRIVE') {
      await io.sleep(POLL_MS);
      continue;
    }
    const summary = execution.output ? (JSON.parse(execution.output) as Record<string, unknown>) : undefined;
    if (options.json)
      io.log(
        JSON.stringify({
          executionArn,
          status: execution.status,
          summary,
          error: execution.error,
          cause: execution.cause,
        }),
      );
    else {
      // For people: failure keys, reasons and causes come from the trail, so they are escaped.
      io.log(`Execution ${execution.status}`);
      if (summary) io.log(escapeLines(JSON.stringify(summary, null, 2)));
      if (execution.error) io.log(escapeControl(`${execution.error}: ${execution.cause ?? ''}`));
    }
    return execution.status === 'SUCCEEDED' ? 0 : 1;
  }
}

/** An ARN as given, or the ARN of the state machine with that name. */
export async function resolveStateMachine(client: SFNClient, nameOrArn: string): Promise<string> {
  if (nameOrArn.startsWith('arn:')) return nameOrArn;
  let token: string | undefined;
  do {
    const page = await client.send(new ListStateMachinesCommand({ nextToken: token }));
    const match = page.stateMachines?.find((machine) => machine.name === nameOrArn);
    if (match?.stateMachineArn) return match.stateMachineArn;
    token = page.nextToken;
  } while (token);
  throw new InvalidInputError(`no state machine named ${nameOrArn} in this account and region`);
}
