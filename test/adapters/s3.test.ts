import { gzipSync } from 'node:zlib';
import { ListObjectsV2Command, PutObjectCommand, S3Client, type ListObjectsV2CommandOutput } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openTrail } from '../../cli/local/trail.ts';
import { S3Trail, parseS3Url } from '../../functions/adapters/s3.ts';
import { ObjectTooLargeError } from '../../functions/core/errors.ts';
import type { ObjectInfo } from '../../functions/core/ports.ts';
import { startS3rver } from '../helpers/s3.ts';

const BUCKET = 'trail-bucket';
const DAY = 'AWSLogs/123456789012/CloudTrail/us-east-1/2017/11/28/';
const keyAt = (stamp: string, id: string) => `${DAY}123456789012_CloudTrail_us-east-1_20171128T${stamp}Z_${id}.json.gz`;
const gz = (records: unknown[]) => gzipSync(JSON.stringify({ Records: records }));

async function collect(pages: AsyncIterable<ObjectInfo[]>): Promise<ObjectInfo[][]> {
  const all: ObjectInfo[][] = [];
  for await (const page of pages) all.push(page);
  return all;
}

type Server = Awaited<ReturnType<typeof startS3rver>>;

// ---------------------------------------------------------------------------------------------
// Against a real S3 API (s3rver). Only simple one-folder Prefix listings: s3rver's Delimiter
// listing and its order are wrong for deep trees, and its truncated pages fail on OpenSSL 3.

const real = suite<{ s3: Server; bodies: Map<string, Buffer>; before: number }>('S3Trail against s3rver', {
  s3: undefined as unknown as Server,
  bodies: new Map(),
  before: 0,
});

real.before(async (context) => {
  context.s3 = await startS3rver([BUCKET]);
  context.before = Date.now();
  const files: [string, unknown[]][] = [
    [keyAt('1905', 'A1b2C3d4E5f6G7h8'), [{ eventID: 'e-1', eventName: 'CreateTrail', sourceIPAddress: '192.0.2.10' }]],
    [keyAt('1910', 'Q9w8E7r6T5y4U3i2'), [{ eventID: 'e-2', eventName: 'StopLogging', sourceIPAddress: '192.0.2.200' }]],
    // Another day, and another region: outside the listed prefix.
    [
      'AWSLogs/123456789012/CloudTrail/us-east-1/2017/11/29/123456789012_CloudTrail_us-east-1_20171129T0005Z_Zz.json.gz',
      [],
    ],
    [
      'AWSLogs/123456789012/CloudTrail/us-west-2/2017/11/28/123456789012_CloudTrail_us-west-2_20171128T1915Z_Zz.json.gz',
      [],
    ],
  ];
  for (const [key, records] of files) {
    const body = gz(records);
    context.bodies.set(key, body);
    await context.s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
  }
});

real.after(async ({ s3 }) => {
  await s3?.close();
});

real(
  'listObjects of a day prefix returns its keys with their sizes and LastModified',
  async ({ s3, bodies, before }) => {
    const pages = await collect(new S3Trail(s3.client, BUCKET).listObjects(DAY));
    const objects = pages.flat().sort((a, b) => a.key.localeCompare(b.key));
    assert.equal(
      objects.map((o) => [o.key, o.size]),
      [keyAt('1905', 'A1b2C3d4E5f6G7h8'), keyAt('1910', 'Q9w8E7r6T5y4U3i2')].map((key) => [
        key,
        bodies.get(key)!.byteLength,
      ]),
    );
    for (const o of objects) {
      assert.instance(o.lastModified, Date);
      // S3 LastModified has whole seconds: the upload time, truncated.
      assert.ok(
        o.lastModified.getTime() >= Math.floor(before / 1000) * 1000 && o.lastModified.getTime() <= Date.now(),
        `${o.lastModified.toISOString()}`,
      );
    }
  },
);

real('listObjects of a prefix with no objects yields nothing', async ({ s3 }) => {
  const pages = await collect(new S3Trail(s3.client, BUCKET).listObjects('AWSLogs/123456789012/CloudTrail/eu-west-1/'));
  assert.equal(pages.flat(), []);
});

real('read returns the exact gzip bytes of the object', async ({ s3, bodies }) => {
  const key = keyAt('1910', 'Q9w8E7r6T5y4U3i2');
  const bytes = await new S3Trail(s3.client, BUCKET).read(key);
  assert.instance(bytes, Uint8Array);
  assert.ok(Buffer.from(bytes).equals(bodies.get(key)!), 'the body differs from what was uploaded');
});

real('read refuses an object over maxBytes by its ContentLength, naming the limit', async ({ s3 }) => {
  const key = keyAt('1905', 'A1b2C3d4E5f6G7h8');
  const error = await new S3Trail(s3.client, BUCKET).read(key, { maxBytes: 10 }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.instance(error, ObjectTooLargeError);
  assert.match((error as ObjectTooLargeError).reason, 'over the 1 KB limit');
  assert.ok((await new S3Trail(s3.client, BUCKET).read(key, { maxBytes: 1_000_000 })).byteLength > 10);
});

real('reading a missing key throws an error that names the key or NoSuchKey', async ({ s3 }) => {
  const key = keyAt('1955', 'MissingMissing00');
  try {
    await new S3Trail(s3.client, BUCKET).read(key);
    assert.unreachable('read of a missing key resolved');
  } catch (error) {
    const { name, message } = error as Error;
    assert.ok(name === 'NoSuchKey' || message.includes(key) || message.includes('NoSuchKey'), `${name}: ${message}`);
  }
});

real.run();

// ---------------------------------------------------------------------------------------------
// Pagination and Delimiter listings: a mocked client (s3rver cannot serve either reliably here).

const truncatedPage = (output: Partial<ListObjectsV2CommandOutput>) =>
  ({ $metadata: {}, ...output }) as ListObjectsV2CommandOutput;
const mocked = () => {
  const client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  return { client, mock: mockClient(client) };
};

const paging = suite('S3Trail paging (mocked ListObjectsV2)');

paging('listObjects follows continuation tokens and yields one page per response', async () => {
  const { client, mock } = mocked();
  const t = new Date('2017-11-28T19:10:00Z');
  mock.on(ListObjectsV2Command).callsFake((input) =>
    input.ContinuationToken === undefined
      ? truncatedPage({
          Contents: [{ Key: keyAt('1905', 'a'), Size: 10, LastModified: t }],
          IsTruncated: true,
          NextContinuationToken: 'token-1',
        })
      : truncatedPage({ Contents: [{ Key: keyAt('1910', 'b'), Size: 20, LastModified: t }], IsTruncated: false }),
  );
  const pages = await collect(new S3Trail(client, BUCKET).listObjects(DAY));
  assert.equal(pages, [
    [{ key: keyAt('1905', 'a'), size: 10, lastModified: t }],
    [{ key: keyAt('1910', 'b'), size: 20, lastModified: t }],
  ]);
  const inputs = mock.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input);
  assert.equal(
    inputs.map((i) => [i.Bucket, i.Prefix, i.ContinuationToken, i.Delimiter]),
    [
      [BUCKET, DAY, undefined, undefined],
      [BUCKET, DAY, 'token-1', undefined],
    ],
  );
});

paging('listObjects stops on a truncated page without a token, and tolerates entries missing fields', async () => {
  const { client, mock } = mocked();
  mock
    .on(ListObjectsV2Command)
    .resolves(truncatedPage({ Contents: [{ Key: keyAt('1905', 'a') }, { Size: 3 }], IsTruncated: true }));
  const pages = await collect(new S3Trail(client, BUCKET).listObjects(DAY));
  assert.equal(pages, [[{ key: keyAt('1905', 'a'), size: 0, lastModified: new Date(0) }]]);
  assert.is(mock.commandCalls(ListObjectsV2Command).length, 1);
});

paging('listFolders gathers CommonPrefixes across pages of a Delimiter listing', async () => {
  const { client, mock } = mocked();
  mock.on(ListObjectsV2Command).callsFake((input) =>
    input.ContinuationToken === undefined
      ? truncatedPage({
          CommonPrefixes: [{ Prefix: 'AWSLogs/111111111111/' }, { Prefix: 'AWSLogs/123456789012/' }],
          IsTruncated: true,
          NextContinuationToken: 'token-1',
        })
      : truncatedPage({ CommonPrefixes: [{ Prefix: 'AWSLogs/o-exampleorg1/' }, {}], IsTruncated: false }),
  );
  const folders = await new S3Trail(client, BUCKET).listFolders('AWSLogs/');
  assert.equal(folders, ['AWSLogs/111111111111/', 'AWSLogs/123456789012/', 'AWSLogs/o-exampleorg1/']);
  const inputs = mock.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input);
  assert.equal(
    inputs.map((i) => [i.Prefix, i.Delimiter, i.ContinuationToken]),
    [
      ['AWSLogs/', '/', undefined],
      ['AWSLogs/', '/', 'token-1'],
    ],
  );
});

paging('listFolders of a prefix with no sub-folders is empty', async () => {
  const { client, mock } = mocked();
  mock.on(ListObjectsV2Command).resolves(truncatedPage({ KeyCount: 0, IsTruncated: false }));
  assert.equal(await new S3Trail(client, BUCKET).listFolders('AWSLogs/123456789012/CloudTrail/'), []);
});

paging.run();

// ---------------------------------------------------------------------------------------------

const urls = suite('parseS3Url');

urls('splits bucket and prefix, dropping trailing slashes', () => {
  assert.equal(parseS3Url('s3://trail-bucket/org/trail/'), { bucket: 'trail-bucket', prefix: 'org/trail' });
  assert.equal(parseS3Url('s3://trail-bucket/AWSLogs'), { bucket: 'trail-bucket', prefix: 'AWSLogs' });
});

urls('a bare bucket has an empty prefix', () => {
  assert.equal(parseS3Url('s3://trail-bucket'), { bucket: 'trail-bucket', prefix: '' });
  assert.equal(parseS3Url('s3://trail-bucket/'), { bucket: 'trail-bucket', prefix: '' });
});

urls('anything that is not an s3:// URL is undefined', () => {
  assert.is(parseS3Url('s3://'), undefined);
  assert.is(parseS3Url('https://trail-bucket.s3.amazonaws.com/x'), undefined);
  assert.is(parseS3Url('./trail'), undefined);
});

urls.run();

// ---------------------------------------------------------------------------------------------

const ENV = [
  'AWS_ENDPOINT_URL_S3',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_REGION',
  'AWS_REQUEST_CHECKSUM_CALCULATION',
  'AWS_PROFILE',
] as const;

const opened = suite<{ s3: Server; saved: Record<string, string | undefined> }>('openTrail of an s3:// URL', {
  s3: undefined as unknown as Server,
  saved: {},
});

opened.before(async (context) => {
  context.s3 = await startS3rver([BUCKET]);
  for (const name of ENV) context.saved[name] = process.env[name];
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${context.s3.port}`,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_REGION: 'us-east-1',
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
  });
});

opened.after(async ({ s3, saved }) => {
  for (const name of ENV) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
  await s3?.close();
});

opened('reads and lists a trail under a prefix through AWS_ENDPOINT_URL_S3', async ({ s3 }) => {
  const key = `org-trail/${keyAt('1910', 'Q9w8E7r6T5y4U3i2')}`;
  const body = gz([{ eventID: 'e-2', eventName: 'StopLogging', sourceIPAddress: '192.0.2.200' }]);
  await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));

  const trail = openTrail(`s3://${BUCKET}/org-trail`);
  assert.is(trail.trailPrefix, 'org-trail');
  assert.is(trail.description, `s3://${BUCKET}/org-trail`);
  assert.ok(Buffer.from(await trail.reader.read(key)).equals(body));
  const listed = (await collect(trail.lister.listObjects(`org-trail/${DAY}`))).flat();
  assert.equal(
    listed.map((o) => [o.key, o.size]),
    [[key, body.byteLength]],
  );
});

opened('a URL that ends in AWSLogs names the prefix before it', () => {
  assert.is(openTrail(`s3://${BUCKET}/org-trail/AWSLogs`).trailPrefix, 'org-trail');
  assert.is(openTrail(`s3://${BUCKET}/AWSLogs/`).trailPrefix, '');
  assert.is(openTrail(`s3://${BUCKET}`).trailPrefix, '');
});

// trail.ts strips /\/?AWSLogs$/: the slash is optional, so a prefix that merely ends in the
// letters AWSLogs loses them, and Plan then lists `trails-AWSLogs/` instead of `trails-AWSLogs/AWSLogs/`.
opened('a prefix that merely ends in the letters AWSLogs is kept whole', () => {
  assert.is(openTrail(`s3://${BUCKET}/trails-AWSLogs`).trailPrefix, 'trails-AWSLogs');
  assert.is(openTrail(`s3://${BUCKET}/trails-AWSLogs/AWSLogs`).trailPrefix, 'trails-AWSLogs');
});

opened('a malformed s3:// URL is refused with the expected form', () => {
  assert.throws(() => openTrail('s3://'), /expected s3:\/\/bucket\[\/prefix\]/);
});

opened.run();
