/**
 * Who read an object, as CloudTrail tells it, and how we find their email address.
 * Access keys rotate and `ASIA...` keys live for one role session, so a reader is matched
 * against the principal map by every identifier CloudTrail gives, most specific first.
 * Not every caller has an ARN: another account (`AWSAccount`), a service (`AWSService`), an
 * IAM Identity Center user (`IdentityCenterUser`), federated users; whatever identifies
 * them is kept, so a mapping can be added for it later.
 */

export interface Reader {
  /** Stable id used for the reader's notices: the ARN when known, else the most specific identifier there is. */
  id: string;
  /** CloudTrail's userIdentity.type (IAMUser, AssumedRole, AWSAccount, ...). */
  type?: string;
  arn?: string;
  accessKeyId?: string;
  principalId?: string;
  /** The account that owns the caller (another account for cross-account reads). */
  accountId?: string;
  userName?: string;
  /** For assumed roles: the session name (often the person's email under SSO); for federated users: their name. */
  sessionName?: string;
  /** The role or user that issued the session. */
  sessionIssuerArn?: string;
  sessionIssuerName?: string;
  /** IAM Identity Center: the user's id in the identity store (userIdentity.onBehalfOf.userId). */
  identityStoreUserId?: string;
  /** The AWS service that made the call (userIdentity.invokedBy). */
  invokedBy?: string;
  /** An address given directly (the CLI's --notify): no principal-map lookup needed. */
  email?: string;
}

/** CloudTrail's userIdentity element (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html). */
export interface CloudTrailUserIdentity {
  type?: string;
  principalId?: string;
  arn?: string;
  accountId?: string;
  accessKeyId?: string;
  userName?: string;
  invokedBy?: string;
  sessionContext?: { sessionIssuer?: { type?: string; principalId?: string; userName?: string; arn?: string; accountId?: string } };
  onBehalfOf?: { userId?: string; identityStoreArn?: string };
}

const ASSUMED_ROLE_ARN = /^arn:[^:]+:sts::\d{12}:assumed-role\/[^/]+\/(.+)$/;
const FEDERATED_USER_ARN = /^arn:[^:]+:sts::\d{12}:federated-user\/(.+)$/;
/** What S3 puts in userIdentity.accountId for an unauthenticated request. */
const ANONYMOUS_ACCOUNT = 'ANONYMOUS_PRINCIPAL';

/** Builds a reader from CloudTrail's userIdentity; undefined when nothing identifies the caller. */
export function readerFromIdentity(identity: CloudTrailUserIdentity): Reader | undefined {
  const sessionName = identity.arn ? (ASSUMED_ROLE_ARN.exec(identity.arn)?.[1] ?? FEDERATED_USER_ARN.exec(identity.arn)?.[1]) : undefined;
  const userName = identity.type === 'IAMUser' ? identity.userName || identity.arn?.split('/').pop() : identity.userName;
  const issuer = identity.sessionContext?.sessionIssuer;
  const accountId = identity.accountId && identity.accountId !== ANONYMOUS_ACCOUNT ? identity.accountId : undefined;
  const identityStoreUserId = identity.onBehalfOf?.userId;
  const id =
    identity.arn ||
    identity.accessKeyId ||
    identity.principalId ||
    (identityStoreUserId ? `identity-center:${identity.onBehalfOf?.identityStoreArn ?? ''}/${identityStoreUserId}` : undefined) ||
    (identity.invokedBy ? `service:${identity.invokedBy}` : undefined) ||
    (accountId ? `account:${accountId}` : undefined);
  if (!id) return undefined;
  return compact({
    id,
    type: identity.type,
    arn: identity.arn,
    accessKeyId: identity.accessKeyId,
    principalId: identity.principalId,
    accountId,
    userName,
    sessionName,
    sessionIssuerArn: issuer?.arn,
    sessionIssuerName: issuer?.userName,
    identityStoreUserId,
    invokedBy: identity.invokedBy,
  });
}

/**
 * The principal-map keys to try for a reader, most specific first: the access key (one
 * session), the caller's ARN and principal id, the person (Identity Center user, session or
 * user name), then what many callers share (the issuing role, the service, the account).
 */
export function principalLookupKeys(reader: Reader): string[] {
  const keys = [
    reader.accessKeyId,
    reader.arn,
    reader.principalId,
    reader.identityStoreUserId,
    reader.sessionName,
    reader.userName,
    reader.sessionIssuerArn,
    reader.sessionIssuerName,
    reader.invokedBy,
    reader.accountId,
  ];
  return [...new Set(keys.filter((k): k is string => Boolean(k)))];
}

/** A short human label for logs, audit entries and emails. */
export function describeReader(reader: Reader): string {
  return (
    reader.email ??
    reader.sessionName ??
    reader.userName ??
    reader.arn ??
    reader.accessKeyId ??
    (reader.identityStoreUserId ? `Identity Center user ${reader.identityStoreUserId}` : undefined) ??
    (reader.invokedBy ? `service ${reader.invokedBy}` : undefined) ??
    (reader.accountId ? `account ${reader.accountId}${reader.principalId ? ` (${reader.principalId})` : ''}` : undefined) ??
    reader.id
  );
}

function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== '')) as T;
}
