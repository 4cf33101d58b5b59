/**
 * The demo `npm start` sets up: a bucket with an archived object in each archive class (and
 * one that is not archived), and a principal-map entry for the demo reader's access key.
 * Everything goes through the local endpoint's public APIs, as a user's own setup would.
 */
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PrincipalMap } from '../functions/domain/stores/principals.js';
import { TABLE_NAMES } from './cloud.js';
import { ARCHIVE_STATUS_HEADER } from './s3/archive-layer.js';
import { documentClient } from '../functions/domain/wiring/document-client.js';

export const DEMO_BUCKET = 'autorestore-demo';
export const DEMO_ACCESS_KEY = 'AKIADEMOREADER000001';
export const DEMO_EMAIL = 'reader@example.com';

export const DEMO_OBJECTS: { key: string; storageClass: string; archiveStatus?: 'ARCHIVE_ACCESS' | 'DEEP_ARCHIVE_ACCESS'; note: string }[] = [
  { key: 'reports/2019/q4-summary.csv', storageClass: 'GLACIER', note: 'Glacier Flexible Retrieval, Standard tier: ready in about 4 simulated hours' },
  { key: 'raw/2017/sensor dump #1.parquet', storageClass: 'DEEP_ARCHIVE', note: 'Glacier Deep Archive, Standard tier: about 12 simulated hours' },
  { key: 'media/interview (final).mp4', storageClass: 'INTELLIGENT_TIERING', archiveStatus: 'ARCHIVE_ACCESS', note: 'Intelligent-Tiering Archive Access: restored without Days' },
  { key: 'media/2015/b-roll.mov', storageClass: 'INTELLIGENT_TIERING', archiveStatus: 'DEEP_ARCHIVE_ACCESS', note: 'Intelligent-Tiering Deep Archive Access' },
  { key: 'readme.txt', storageClass: 'STANDARD', note: 'not archived: readable right away' },
];

export async function seedDemo(endpoint: string): Promise<void> {
  const credentials = { accessKeyId: 'AKIADEMOADMIN0000001', secretAccessKey: 'local' };
  const s3 = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials });
  try {
    await s3.send(new CreateBucketCommand({ Bucket: DEMO_BUCKET }));
  } catch (err) {
    if ((err as Error).name !== 'BucketAlreadyOwnedByYou' && (err as Error).name !== 'BucketAlreadyExists') throw err;
  }
  for (const object of DEMO_OBJECTS) {
    const put = new PutObjectCommand({ Bucket: DEMO_BUCKET, Key: object.key, Body: `demo content of ${object.key}\n`, StorageClass: object.storageClass as never });
    if (object.archiveStatus) {
      const status = object.archiveStatus;
      put.middlewareStack.add(
        (next) => (args) => {
          (args.request as { headers: Record<string, string> }).headers[ARCHIVE_STATUS_HEADER] = status;
          return next(args);
        },
        { step: 'build', name: 'archiveStatusHeader' },
      );
    }
    await s3.send(put);
  }
  s3.destroy();
  const ddb = documentClient({ endpoint, region: 'us-east-1', credentials });
  await new PrincipalMap(ddb, TABLE_NAMES.principals).put(DEMO_ACCESS_KEY, DEMO_EMAIL, new Date());
  ddb.destroy();
}
