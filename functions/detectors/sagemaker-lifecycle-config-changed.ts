import { principalOf } from '../core/cloudtrail.ts';
import { apiCallDetector, label, stringAt } from './lib.ts';
import { techniqueUrl } from './mitre.ts';
import { FAILED_CALLS } from './types.ts';

/** SageMaker notebook lifecycle configurations created, changed or attached: scripts that run as root on the notebook. */
export const sagemakerLifecycleConfigChanged = apiCallDetector(
  {
    id: 'sagemaker-lifecycle-config-changed',
    title: 'SageMaker lifecycle configuration changed',
    description:
      "SageMaker CreateNotebookInstanceLifecycleConfig, UpdateNotebookInstanceLifecycleConfig, or UpdateNotebookInstance attaching a lifecycle configuration. The script runs as root each time the notebook starts, with the notebook's execution role: a way to run code as that role.",
    severity: 'medium',
    mitre: { id: 'T1059.009', name: 'Command and Scripting Interpreter: Cloud API' },
    references: [
      'https://docs.aws.amazon.com/sagemaker/latest/dg/notebook-lifecycle-config.html',
      'https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateNotebookInstance.html',
      techniqueUrl('T1059.009'),
    ],
    falsePositives: ['Data-science platform teams managing notebook start-up scripts.'],
    runbook:
      "Read the lifecycle configuration (DescribeNotebookInstanceLifecycleConfig; the scripts are base64). If unexpected: detach it, stop the notebook, review the execution role's calls since the notebook last started, and revoke its sessions.",
    failedCalls: FAILED_CALLS.lowerSeverity,
    stratus: ['aws.execution.sagemaker-update-lifecycle-config'],
  },
  {
    'sagemaker.amazonaws.com': [
      'CreateNotebookInstanceLifecycleConfig',
      'UpdateNotebookInstanceLifecycleConfig',
      'UpdateNotebookInstance',
    ],
  },
  (params, record) => {
    const call = String(record.eventName);
    const config = stringAt(params, 'notebookInstanceLifecycleConfigName') ?? stringAt(params, 'lifecycleConfigName');
    if (call === 'UpdateNotebookInstance') {
      if (!stringAt(params, 'lifecycleConfigName')) return undefined;
      return `UpdateNotebookInstance requested by ${principalOf(record)} attaching ${label('lifecycle configuration', config)} to ${label('notebook', stringAt(params, 'notebookInstanceName'))}.`;
    }
    return `${call} requested by ${principalOf(record)} for ${label('lifecycle configuration', config)}.`;
  },
);
