import { burstDetector, stringsOf, type BurstOptions } from './burst.ts';
import { stringAt } from './lib.ts';
import { techniqueUrl } from './mitre.ts';
import { FAILED_CALLS } from './types.ts';

/** Defaults: sessions on 3 distinct targets by one principal within 10 minutes. */
export const SSM_SESSIONS_DEFAULTS: BurstOptions = { threshold: 3, windowMinutes: 10 };

/** SSM Session Manager sessions (ssm:StartSession) opened by one principal on several instances. */
export function createSsmSessionsOnManyInstances(options: Partial<BurstOptions> = {}) {
  const settings = { ...SSM_SESSIONS_DEFAULTS, ...options };
  return burstDetector(
    {
      meta: {
        id: 'ssm-sessions-on-many-instances',
        title: 'SSM sessions on many instances',
        description: `One principal called ssm:StartSession on ${settings.threshold} or more distinct targets within ${settings.windowMinutes} minutes: interactive shells on many machines, the way an intruder with cloud credentials moves onto hosts. One session is how operators work and is not flagged.`,
        severity: 'medium',
        mitre: { id: 'T1021.008', name: 'Remote Services: Direct Cloud VM Connections' },
        references: [
          'https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_StartSession.html',
          techniqueUrl('T1021.008'),
        ],
        falsePositives: ['An operator working through several instances during an incident or a rollout.'],
        runbook:
          "Ask the principal's owner whether the sessions were theirs. If not: terminate the sessions (TerminateSession), revoke the principal's credentials, and review the session logs (S3 or CloudWatch Logs, if session logging is on) and each instance for changes.",
        failedCalls: FAILED_CALLS.lowerSeverity,
        weaknesses: ['A session on one instance only, however unusual the caller, is not flagged.'],
        stratus: ['aws.execution.ssm-start-session'],
      },
      events: { 'ssm.amazonaws.com': ['StartSession'] },
      noun: 'instances',
      verb: 'opened sessions on',
      items: (params) => stringsOf(stringAt(params, 'target')),
    },
    settings,
  );
}

export const ssmSessionsOnManyInstances = createSsmSessionsOnManyInstances();
