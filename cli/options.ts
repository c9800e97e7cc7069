import { type Command, type CommanderError, InvalidArgumentError } from 'commander';
import { parseInstant } from '../functions/core/run-input.ts';
import { InvalidInputError } from '../functions/core/errors.ts';
import { didYouMean } from '../functions/core/did-you-mean.ts';

export { didYouMean };

/**
 * Option parsing and validation shared by every command, so that each usage error is one line
 * on stderr and exit code 2, whatever the command.
 */

/** Exit code of every usage error (as most Unix tools: 1 is "ran and failed"). */
export const USAGE_EXIT_CODE = 2;

/** Arguments that cannot be run: the message is the whole line the user sees. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Comma-separated list, trimmed, empty items dropped (`--accounts a,b`). */
export function list(value: string): string[] {
  return value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

/**
 * A parser for a whole-number option in [min, max]: `--threads abc`, `--settle -5` and
 * `--limit 0` are usage errors, not NaN or a silent default.
 */
export function wholeNumber(min: number, max: number = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = /^\s*-?\d+\s*$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(
        max === Number.MAX_SAFE_INTEGER
          ? `must be a whole number >= ${min}`
          : `must be a whole number from ${min} to ${max}`,
      );
    }
    return n;
  };
}

/**
 * Checks a `--from`/`--to` pair and returns it as given. Both or neither; each an ISO date or
 * date-time; from before to. The message quotes what the user typed, so the two dates differ
 * even when a date-only `--to` means the end of that day.
 */
export function checkRange(
  from: string | undefined,
  to: string | undefined,
  required = false,
): { from: string; to: string } | undefined {
  if (from === undefined && to === undefined) {
    if (required) throw new UsageError('--from and --to are required');
    return undefined;
  }
  if (from === undefined || to === undefined) {
    throw new UsageError(
      required
        ? `--${from === undefined ? 'from' : 'to'} is required`
        : '--from and --to go together: give both for a backfill, or neither for a scheduled run',
    );
  }
  const start = instant(from, '--from', false);
  const end = instant(to, '--to', true);
  if (start.getTime() >= end.getTime()) {
    const endNote = /T/.test(to)
      ? ''
      : ` (a date --to includes that whole day, up to ${end.toISOString().replace('.000Z', 'Z')})`;
    throw new UsageError(`--from ${from} must be before --to ${to}${endNote}`);
  }
  return { from, to };
}

function instant(value: string, name: string, endOfDay: boolean): Date {
  try {
    return parseInstant(value, name, endOfDay);
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    throw new UsageError(
      `${name} ${JSON.stringify(value)} is not an ISO date (2017-11-28) or date-time with a zone (2017-11-28T19:00:00Z)`,
    );
  }
}

/**
 * Refuses ids that are not among `known` (detector ids), suggesting the closest one.
 * `option` names the flag in the message (`--detector-alarm`).
 */
export function checkIds(ids: readonly string[], known: readonly string[], option: string): void {
  for (const id of ids) {
    if (known.includes(id)) continue;
    const near = didYouMean(id, known);
    throw new UsageError(
      `${option}: unknown detector ${JSON.stringify(id)}${near ? ` (did you mean ${near}?)` : ''}; \`trail-auditor detectors\` lists them`,
    );
  }
}

/** Appends an "Examples:" block to a command's --help. */
export function examples(command: Command, lines: readonly string[]): Command {
  return command.addHelpText('after', `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}`);
}

const REQUIRED = new WeakMap<Command, string[]>();

/**
 * Adds an option that must be given, marked `(required)` in --help. Checked before the action
 * (see {@link oneLineUsageErrors}) rather than by commander's requiredOption, which reports a
 * typo such as `--trial` as a missing `--trail` instead of suggesting the right spelling.
 */
export function requiredOption(
  command: Command,
  flags: string,
  description: string,
  parse?: (value: string) => unknown,
): Command {
  command.option(flags, `(required) ${description}`, parse as (value: string, previous: unknown) => unknown);
  const option = command.options.at(-1)!;
  REQUIRED.set(command, [...(REQUIRED.get(command) ?? []), option.attributeName()]);
  return command;
}

function checkRequired(command: Command): void {
  for (const option of command.options) {
    if (
      REQUIRED.get(command)?.includes(option.attributeName()) &&
      command.getOptionValue(option.attributeName()) === undefined
    ) {
      throw new UsageError(`error: required option '${option.flags}' not specified (see --help)`);
    }
  }
}

/**
 * Makes commander's own errors (unknown option, missing required option, invalid argument) one
 * line and exit code 2 instead of a help dump and exit 1. Set on the program before its commands
 * are added: commander copies these settings to every subcommand.
 */
export function oneLineUsageErrors(program: Command): Command {
  return program
    .hook('preAction', (_program, action) => checkRequired(action))
    .exitOverride()
    .showHelpAfterError(false)
    .showSuggestionAfterError(true)
    .configureOutput({
      // "error: unknown option '--foo'\n(Did you mean --from?)" becomes one line.
      outputError: (text, write) => write(`trail-auditor: ${text.trim().replace(/\s*\n\s*/g, ' ')} (see --help)\n`),
    });
}

/**
 * The exit code for a CommanderError thrown under {@link oneLineUsageErrors}: 0 for --help and
 * --version, 2 for usage errors (already printed).
 */
export function commanderExitCode(error: CommanderError): number {
  if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help')
    return 0;
  return error.exitCode === 0 ? 0 : USAGE_EXIT_CODE;
}

/** Columns of the terminal output goes to: its width on a TTY, else $COLUMNS, else 100. */
export function outputWidth(stream: { isTTY?: boolean; columns?: number } = process.stdout): number {
  if (stream.isTTY && stream.columns) return stream.columns;
  const env = Number(process.env.COLUMNS);
  return Number.isInteger(env) && env >= 20 ? env : 100;
}
