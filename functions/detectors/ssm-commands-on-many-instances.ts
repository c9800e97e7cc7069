import { burstDetector, stringsOf, type BurstOptions } from './burst.ts';
import { at, objectsOf, stringAt } from './lib.ts';
import { techniqueUrl } from './mitre.ts';
import { FAILED_CALLS } from './types.ts';

/** Defaults: commands on 3 distinct instances (or target filters) by one principal within 10 minutes. */
export const SSM_COMMANDS_DEFAULTS: BurstOptions = { threshold: 3, windowMinutes: 10 };

/** SSM Run Command (ssm:SendCommand) sent by one principal to several instances. */
export function createSsmCommandsOnManyInstances(options: Partial<BurstOptions> = {}) {
  const settings = { ...SSM_COMMANDS_DEFAULTS, ...options };
  return burstDetector(
    {
      meta: {
        id: 'ssm-commands-on-many-instances',
        title: 'SSM commands on many instances',
        description: `One principal sent SSM Run Command (SendCommand) to ${settings.threshold} or more distinct instances within ${settings.windowMinutes} minutes; a tag or resource-group target counts as one item each. Commands run as root or SYSTEM.`,
        severity: 'medium',
        mitre: { id: 'T1651', name: 'Cloud Administration Command' },
        references: [
          'https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_SendCommand.html',
          techniqueUrl('T1651'),
        ],
        falsePositives: [
          'Fleet operations (patching, inventory, configuration runs) sent by an operator or pipeline: suppress those principals or raise the threshold.',
          'State Manager associations invoke commands as the service; they are counted under the service principal.',
        ],
        runbook:
          "Read the command (documentName, and in the SSM console or ListCommandInvocations the parameters and output). If it is not an expected operation: cancel it (CancelCommand), revoke the principal's credentials, and examine each target instance.",
        failedCalls: FAILED_CALLS.lowerSeverity,
        weaknesses: ['A target by tag may reach hundreds of instances and counts once; CloudTrail does not list them.'],
        stratus: ['aws.execution.ssm-send-command'],
      },
      events: { 'ssm.amazonaws.com': ['SendCommand'] },
      noun: 'instances',
      verb: 'sent commands to',
      items(params) {
        const targets = objectsOf(Array.isArray(params?.targets) ? params.targets : []).map(
          (target) => `${stringAt(target, 'key') ?? '?'}=${stringsOf(at(target, 'values')).join(',')}`,
        );
        return [...stringsOf(params?.instanceIds), ...targets];
      },
    },
    settings,
  );
}

export const ssmCommandsOnManyInstances = createSsmCommandsOnManyInstances();
