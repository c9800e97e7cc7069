import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { sagemakerLifecycleConfigChanged as detector } from '../../functions/detectors/sagemaker-lifecycle-config-changed.ts';
import { aCall } from '../helpers/records.ts';

const test = suite('sagemaker-lifecycle-config-changed');

test('matches a lifecycle configuration created and attached to a notebook', () => {
  const create = aCall('sagemaker', 'CreateNotebookInstanceLifecycleConfig', {
    notebookInstanceLifecycleConfigName: 'lc-1',
    onStart: [{ content: 'IyEvYmluL2Jhc2g=' }],
  });
  assert.match(detector.detect(create)?.reason ?? '', "lifecycle configuration 'lc-1'");
  const attach = aCall('sagemaker', 'UpdateNotebookInstance', {
    notebookInstanceName: 'nb-1',
    lifecycleConfigName: 'lc-1',
  });
  assert.match(detector.detect(attach)?.reason ?? '', "to notebook 'nb-1'");
});

test('ignores notebook updates that attach nothing, and starting a notebook', () => {
  assert.is(
    detector.detect(
      aCall('sagemaker', 'UpdateNotebookInstance', { notebookInstanceName: 'nb-1', instanceType: 'ml.t3.medium' }),
    ),
    undefined,
  );
  assert.is(detector.detect(aCall('sagemaker', 'StartNotebookInstance', { notebookInstanceName: 'nb-1' })), undefined);
});

test.run();
