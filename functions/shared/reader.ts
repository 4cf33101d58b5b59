/**
 * Who read an object, as CloudTrail tells it, and how we find their email address.
 * Access keys rotate and `ASIA...` keys live for one role session, so a reader is matched
 * against the principal map by every identifier we have, most specific first.
 */

export interface Reader {
  /** Stable id used for the reader's notices: the ARN when known, else the access key, else the principal id. */
  id: string;
  arn?: string;
  accessKeyId?: string;
  userName?: string;
  /** For assumed roles: the session name (often the person's email under SSO). */
  sessionName?: string;
  /** An address given directly (the CLI's --notify): no principal-map lookup needed. */
  email?: string;
}

export interface CloudTrailUserIdentity {
  type?: string;
  principalId?: string;
  arn?: string;
  accountId?: string;
  accessKeyId?: string;
  userName?: string;
  sessionContext?: { sessionIssuer?: { userName?: string; arn?: string } };
}

const ASSUMED_ROLE_ARN = /^arn:[^:]+:sts::\d{12}:assumed-role\/[^/]+\/(.+)$/;

/** Builds a reader from CloudTrail's userIdentity; undefined when nothing identifies the caller. */
export function readerFromIdentity(identity: CloudTrailUserIdentity): Reader | undefined {
  const sessionName = identity.arn ? ASSUMED_ROLE_ARN.exec(identity.arn)?.[1] : undefined;
  const userName = identity.type === 'IAMUser' ? (identity.userName ?? identity.arn?.split('/').pop()) : identity.userName;
  const id = identity.arn ?? identity.accessKeyId ?? identity.principalId;
  if (!id) return undefined;
  return compact({ id, arn: identity.arn, accessKeyId: identity.accessKeyId, userName, sessionName });
}

/** The principal-map keys to try for a reader, most specific first. */
export function principalLookupKeys(reader: Reader): string[] {
  const keys = [reader.accessKeyId, reader.arn, reader.sessionName, reader.userName];
  return [...new Set(keys.filter((k): k is string => Boolean(k)))];
}

/** A short human label for logs, audit entries and emails. */
export function describeReader(reader: Reader): string {
  return reader.email ?? reader.sessionName ?? reader.userName ?? reader.arn ?? reader.accessKeyId ?? reader.id;
}

function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== '')) as T;
}
