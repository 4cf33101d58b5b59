/**
 * CreateJob's request, checked the way S3 Control checks it before a job exists: a request it
 * would refuse is a 400 BadRequestException and creates nothing. Only what a restore job uses
 * is modelled: the S3InitiateRestoreObject operation, a CSV manifest, a CSV completion report.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_CreateJob.html
 */
import type { XmlObject, XmlValue } from '../../functions/restore-batch/s3control-xml.js';
import { ServiceError } from '../wire.js';

export interface RestoreJobSpec {
  clientRequestToken: string;
  confirmationRequired: boolean;
  description?: string;
  priority: number;
  roleArn: string;
  tier: 'STANDARD' | 'BULK';
  expirationInDays?: number;
  manifest: { bucket: string; key: string; etag: string; versionId?: string; fields: string[] };
  report: { enabled: false } | { enabled: true; bucket: string; prefix?: string; scope: 'AllTasks' | 'FailedTasksOnly' };
}

export function badRequest(message: string): ServiceError {
  return new ServiceError(400, 'BadRequestException', message);
}

const object = (value: XmlValue | undefined): XmlObject | undefined => (value && typeof value === 'object' && !Array.isArray(value) ? value : undefined);
const text = (value: XmlValue | undefined): string | undefined => (typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : undefined);

export function parseCreateJobRequest(root: string, body: XmlObject): RestoreJobSpec {
  if (root !== 'CreateJobRequest') throw badRequest(`Expected a CreateJobRequest document, got ${root}`);
  const token = text(body.ClientRequestToken);
  if (!token || token.length > 64) throw badRequest('ClientRequestToken is required and takes 1 to 64 characters');
  const priority = body.Priority;
  if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < 0 || priority > 2147483647) throw badRequest('Priority must be an integer from 0 to 2147483647');
  const roleArn = text(body.RoleArn);
  if (!roleArn || !/^arn:[^:]+:iam::\d{12}:role\/.+$/.test(roleArn)) throw badRequest(`RoleArn is not an IAM role ARN: ${roleArn ?? '(missing)'}`);

  const operation = object(body.Operation);
  const operations = Object.keys(operation ?? {});
  if (operations.length !== 1) throw badRequest('Operation must name exactly one operation');
  if (operations[0] !== 'S3InitiateRestoreObject') throw badRequest(`The local S3 Control runs S3InitiateRestoreObject jobs only, not ${operations[0]}`);
  const restore = object(operation!.S3InitiateRestoreObject) ?? {};
  const tier = text(restore.GlacierJobTier) ?? 'BULK';
  if (tier !== 'STANDARD' && tier !== 'BULK') throw badRequest(`GlacierJobTier must be BULK or STANDARD, not ${tier}`);
  let expirationInDays: number | undefined;
  if (restore.ExpirationInDays !== undefined) {
    expirationInDays = restore.ExpirationInDays as number;
    if (!Number.isInteger(expirationInDays) || expirationInDays < 0) throw badRequest('ExpirationInDays must be a non-negative integer');
  }

  if (body.ManifestGenerator !== undefined) throw badRequest('The local S3 Control takes a Manifest, not a ManifestGenerator');
  const manifest = object(body.Manifest);
  const spec = object(manifest?.Spec);
  const location = object(manifest?.Location);
  if (!spec || !location) throw badRequest('Manifest needs a Spec and a Location');
  if (text(spec.Format) !== 'S3BatchOperations_CSV_20180820') throw badRequest(`The local S3 Control reads S3BatchOperations_CSV_20180820 manifests, not ${text(spec.Format) ?? '(none)'}`);
  const fields = Array.isArray(spec.Fields) ? spec.Fields.map((f) => text(f) ?? '') : [];
  if (!fields.includes('Bucket') || !fields.includes('Key') || fields.some((f) => !['Bucket', 'Key', 'VersionId', 'Ignore'].includes(f)))
    throw badRequest(`Manifest Fields must name Bucket and Key (and may name VersionId, Ignore): ${fields.join(',')}`);
  const arn = /^arn:[^:]+:s3:::([^/]+)\/(.+)$/.exec(text(location.ObjectArn) ?? '');
  if (!arn) throw badRequest(`Manifest ObjectArn is not an S3 object ARN: ${text(location.ObjectArn) ?? '(missing)'}`);
  const etag = text(location.ETag);
  if (!etag) throw badRequest('Manifest Location needs the ETag of the manifest object');
  const manifestVersion = text(location.ObjectVersionId);

  const report = object(body.Report);
  if (!report || typeof report.Enabled !== 'boolean') throw badRequest('Report.Enabled is required');
  let reportSpec: RestoreJobSpec['report'] = { enabled: false };
  if (report.Enabled) {
    const bucket = /^arn:[^:]+:s3:::([^/]+)$/.exec(text(report.Bucket) ?? '')?.[1];
    if (!bucket) throw badRequest(`Report.Bucket must be a bucket ARN: ${text(report.Bucket) ?? '(missing)'}`);
    if (text(report.Format) !== 'Report_CSV_20180820') throw badRequest('Report.Format must be Report_CSV_20180820');
    const scope = text(report.ReportScope) ?? 'AllTasks';
    if (scope !== 'AllTasks' && scope !== 'FailedTasksOnly') throw badRequest(`Report.ReportScope must be AllTasks or FailedTasksOnly, not ${scope}`);
    const prefix = text(report.Prefix);
    reportSpec = { enabled: true, bucket, scope, ...(prefix ? { prefix } : {}) };
  }
  const description = text(body.Description);
  return {
    clientRequestToken: token,
    confirmationRequired: body.ConfirmationRequired === true,
    ...(description ? { description } : {}),
    priority,
    roleArn,
    tier,
    ...(expirationInDays !== undefined ? { expirationInDays } : {}),
    manifest: { bucket: arn[1]!, key: arn[2]!, etag, fields, ...(manifestVersion ? { versionId: manifestVersion } : {}) },
    report: reportSpec,
  };
}
