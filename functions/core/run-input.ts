import { InvalidInputError } from './errors.ts';
import { ACCOUNT_PATTERN, REGION_PATTERN } from './trail-keys.ts';

/** Filters that narrow a run to some accounts and regions (both optional). */
export interface RunScope {
  accounts?: string[];
  regions?: string[];
}

/** A scheduled run: every object delivered since the last successful scheduled run. */
export interface ScheduledInput extends RunScope {
  mode: 'scheduled';
}

/** A backfill: every log object whose stamp lies in [from, to). */
export interface BackfillInput extends RunScope {
  mode: 'backfill';
  from: string;
  to: string;
}

export type RunInput = ScheduledInput | BackfillInput;

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Validates the state machine input (`{}`, `{"mode":"scheduled"}` or a backfill) and returns it
 * normalised: `from`/`to` as full ISO instants, a date-only `to` meaning the end of that UTC day.
 * Throws {@link InvalidInputError} saying exactly what is wrong.
 */
export function parseRunInput(raw: unknown): RunInput {
  if (raw === null || raw === undefined) return { mode: 'scheduled' };
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new InvalidInputError('run input must be a JSON object');
  const input = raw as Record<string, unknown>;
  const mode = input.mode ?? 'scheduled';
  const scope = parseScope(input);
  if (mode === 'scheduled') {
    if (input.from !== undefined || input.to !== undefined) {
      throw new InvalidInputError('"from" and "to" belong to a backfill: add "mode": "backfill"');
    }
    return { mode, ...scope };
  }
  if (mode !== 'backfill')
    throw new InvalidInputError(`unknown mode ${JSON.stringify(mode)}: use "scheduled" or "backfill"`);
  const from = parseInstant(input.from, 'from', false);
  const to = parseInstant(input.to, 'to', true);
  if (from.getTime() >= to.getTime()) {
    throw new InvalidInputError(`"from" (${from.toISOString()}) must be before "to" (${to.toISOString()})`);
  }
  return { mode, from: from.toISOString(), to: to.toISOString(), ...scope };
}

/** Parses an ISO date or date-time; a date-only upper bound means the end of that day. */
export function parseInstant(value: unknown, name: string, endOfDay: boolean): Date {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidInputError(`"${name}" is required: an ISO date (2017-11-28) or date-time (2017-11-28T19:00:00Z)`);
  }
  const dateOnly = DATE_ONLY.test(value);
  if (!dateOnly && !ISO_TIME.test(value)) {
    throw new InvalidInputError(`"${name}" is not an ISO date or date-time with a time zone: ${JSON.stringify(value)}`);
  }
  const date = new Date(dateOnly ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(date.getTime()) || (dateOnly && date.toISOString().slice(0, 10) !== value)) {
    throw new InvalidInputError(`"${name}" is not a real date: ${JSON.stringify(value)}`);
  }
  if (dateOnly && endOfDay) date.setUTCDate(date.getUTCDate() + 1);
  return date;
}

function parseScope(input: Record<string, unknown>): RunScope {
  const scope: RunScope = {};
  const accounts = parseList(input.accounts, 'accounts', ACCOUNT_PATTERN, '12-digit account ids');
  const regions = parseList(input.regions, 'regions', REGION_PATTERN, 'region names such as us-east-1');
  if (accounts) scope.accounts = accounts;
  if (regions) scope.regions = regions;
  return scope;
}

function parseList(value: unknown, name: string, pattern: RegExp, what: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  const list =
    typeof value === 'string'
      ? value
          .split(',')
          .map((v) => v.trim())
          .filter(Boolean)
      : value;
  if (!Array.isArray(list) || list.some((v) => typeof v !== 'string')) {
    throw new InvalidInputError(`"${name}" must be a list of ${what}`);
  }
  const bad = list.filter((v) => !pattern.test(v));
  if (bad.length > 0) throw new InvalidInputError(`"${name}" has values that are not ${what}: ${bad.join(', ')}`);
  return list.length > 0 ? [...new Set(list as string[])] : undefined;
}
