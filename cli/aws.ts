import { randomUUID } from 'node:crypto';
import { DescribeExecutionCommand, ListStateMachinesCommand, StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { sfnClient } from '../functions/adapters/clients.ts';
import { parseRunInput } from '../functions/core/run-input.ts';
import { InvalidInputError } from '../functions/core/errors.ts';

export interface BackfillOptions {
  stateMachine: string;
  from: string;
  to: string;
  accounts?: string[];
  regions?: string[];
  wait?: boolean;
  json?: boolean;
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
  io: { log: (line: string) => void; sleep: (ms: number) => Promise<void> } = { log: console.log, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) },
): Promise<number> {
  const input = parseRunInput({
    mode: 'backfill',
    from: options.from,
    to: options.to,
    ...(options.accounts ? { accounts: options.accounts } : {}),
    ...(options.regions ? { regions: options.regions } : {}),
  });
  const arn = await resolveStateMachine(client, options.stateMachine);
  const name = `backfill-${input.mode === 'backfill' ? input.from.slice(0, 10) : ''}-${randomUUID().slice(0, 8)}`;
  const started = await client.send(new StartExecutionCommand({ stateMachineArn: arn, name, input: JSON.stringify(input) }));
  const executionArn = started.executionArn!;
  if (!options.wait) {
    io.log(options.json ? JSON.stringify({ executionArn, input }) : `Started ${executionArn}`);
    return 0;
  }
  if (!options.json) io.log(`Started ${executionArn}; waiting for it to finish...`);
  for (;;) {
    const execution = await client.send(new DescribeExecutionCommand({ executionArn }));
    if (execution.status === 'RUNNING' || execution.status === 'PENDING_REDRIVE') {
      await io.sleep(POLL_MS);
      continue;
    }
    const summary = execution.output ? (JSON.parse(execution.output) as Record<string, unknown>) : undefined;
    if (options.json) io.log(JSON.stringify({ executionArn, status: execution.status, summary, error: execution.error, cause: execution.cause }));
    else {
      io.log(`Execution ${execution.status}`);
      if (summary) io.log(JSON.stringify(summary, null, 2));
      if (execution.error) io.log(`${execution.error}: ${execution.cause ?? ''}`);
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
