/**
 * SES v2 SendEmail over its REST protocol (POST /v2/email/outbound-emails). Each message
 * lands in the outbox folder as an .eml file, the way the recipient's mail client would get it.
 * The account is out of the sandbox (production access) and every well-formed identity counts
 * as verified: no mail leaves the machine, so there is nobody to protect. Sending can be
 * paused and resumed (PutAccountSendingAttributes), and a paused account refuses SendEmail
 * with SendingPausedException, as SES does.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EMAIL_ADDRESS } from '../functions/domain/rules/email-address.js';
import { happens } from './faults.js';
import { ServiceError } from './wire.js';

interface SendEmailRequest {
  FromEmailAddress?: string;
  Destination?: { ToAddresses?: string[]; CcAddresses?: string[]; BccAddresses?: string[] };
  Content?: { Simple?: { Subject?: { Data?: string }; Body?: { Text?: { Data?: string }; Html?: { Data?: string } } }; Raw?: { Data?: string } };
}

const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

export interface OutboxMessage {
  file: string;
  messageId: string;
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  date: string;
}

export class SesService {
  sent = 0;
  private sendingEnabled = true;

  constructor(
    private readonly outbox: string,
    private readonly failureRate: () => number,
  ) {
    mkdirSync(outbox, { recursive: true });
  }

  send(request: SendEmailRequest): { MessageId: string } {
    const from = request.FromEmailAddress;
    const to = [...(request.Destination?.ToAddresses ?? []), ...(request.Destination?.CcAddresses ?? [])];
    const simple = request.Content?.Simple;
    if (!from || !EMAIL_ADDRESS.test(from)) throw new ServiceError(400, 'BadRequestException', 'FromEmailAddress is missing or not an email address');
    if (to.length === 0 || to.some((a) => !EMAIL_ADDRESS.test(a))) throw new ServiceError(400, 'BadRequestException', 'Destination must contain valid email addresses');
    if (to.length + (request.Destination?.BccAddresses?.length ?? 0) > 50) throw new ServiceError(400, 'BadRequestException', 'Too many recipients: at most 50 per message');
    if (!simple?.Subject?.Data || !(simple.Body?.Text?.Data || simple.Body?.Html?.Data)) throw new ServiceError(400, 'BadRequestException', 'Content.Simple needs a Subject and a Body');
    if (!this.sendingEnabled) throw new ServiceError(400, 'SendingPausedException', 'Email sending is disabled for your entire Amazon SES account.');
    if (happens(this.failureRate())) throw new ServiceError(500, 'InternalFailure', 'Injected SES failure');

    const messageId = `${Date.now().toString(36)}-${randomUUID()}`;
    const boundary = `b-${randomUUID()}`;
    const date = new Date();
    const eml = [
      `From: ${from}`,
      `To: ${to.join(', ')}`,
      `Subject: =?UTF-8?B?${Buffer.from(simple.Subject.Data).toString('base64')}?=`,
      `Date: ${date.toUTCString()}`,
      `Message-ID: <${messageId}@local.autorestore>`,
      'MIME-Version: 1.0',
      `Content-Type: multipart/alternative; boundary="${boundary}"`,
      '',
      `--${boundary}`,
      'Content-Type: text/plain; charset=UTF-8',
      'Content-Transfer-Encoding: base64',
      '',
      wrap(Buffer.from(simple.Body.Text?.Data ?? '').toString('base64')),
      `--${boundary}`,
      'Content-Type: text/html; charset=UTF-8',
      'Content-Transfer-Encoding: base64',
      '',
      wrap(Buffer.from(simple.Body.Html?.Data ?? '').toString('base64')),
      `--${boundary}--`,
      '',
    ].join('\r\n');
    writeFileSync(join(this.outbox, `${date.toISOString().replace(/[:.]/g, '-')}-${messageId}.eml`), eml);
    this.sent++;
    return { MessageId: messageId };
  }

  /**
   * The account and identity calls: GetAccount, PutAccountSendingAttributes, GetEmailIdentity.
   * https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_GetAccount.html
   * https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_GetEmailIdentity.html
   */
  control(method: string, path: string, body: Record<string, unknown>): unknown {
    if (method === 'GET' && /^\/v2\/email\/account\/?$/.test(path)) {
      return {
        DedicatedIpAutoWarmupEnabled: false,
        EnforcementStatus: 'HEALTHY',
        ProductionAccessEnabled: true,
        SendingEnabled: this.sendingEnabled,
        SendQuota: { Max24HourSend: 50_000, MaxSendRate: 14, SentLast24Hours: this.sent },
        SuppressionAttributes: { SuppressedReasons: [] },
      };
    }
    if (method === 'PUT' && /^\/v2\/email\/account\/sending\/?$/.test(path)) {
      if (body.SendingEnabled !== undefined && typeof body.SendingEnabled !== 'boolean') throw new ServiceError(400, 'BadRequestException', 'SendingEnabled must be a boolean');
      this.sendingEnabled = body.SendingEnabled ?? false;
      return {};
    }
    const identity = /^\/v2\/email\/identities\/([^/]+)\/?$/.exec(path)?.[1];
    if (method === 'GET' && identity !== undefined) {
      const name = decodeURIComponent(identity);
      const type = EMAIL_ADDRESS.test(name) ? 'EMAIL_ADDRESS' : DOMAIN.test(name) ? 'DOMAIN' : undefined;
      if (!type) throw new ServiceError(404, 'NotFoundException', `Email identity ${name} does not exist.`);
      return {
        IdentityType: type,
        FeedbackForwardingStatus: true,
        VerifiedForSendingStatus: true,
        VerificationStatus: 'SUCCESS',
        DkimAttributes: { SigningEnabled: type === 'DOMAIN', Status: type === 'DOMAIN' ? 'SUCCESS' : 'NOT_STARTED', SigningAttributesOrigin: 'AWS_SES' },
        Policies: {},
        Tags: [],
      };
    }
    throw new ServiceError(404, 'NotFoundException', `${method} ${path} is not supported by the local SES`);
  }

  /** Every message in the outbox, oldest first, decoded. */
  list(): OutboxMessage[] {
    return readdirSync(this.outbox)
      .filter((f) => f.endsWith('.eml'))
      .sort()
      .map((file) => parseEml(file, readFileSync(join(this.outbox, file), 'utf8')));
  }
}

function wrap(base64: string): string {
  return base64.replace(/.{1,76}/g, (line) => `${line}\r\n`).trimEnd();
}

/** Reads back the .eml files this service writes. */
export function parseEml(file: string, eml: string): OutboxMessage {
  const [head = '', ...rest] = eml.split('\r\n\r\n');
  const header = (name: string) => new RegExp(`^${name}: (.*)$`, 'm').exec(head)?.[1] ?? '';
  const subjectRaw = header('Subject');
  const subject = /^=\?UTF-8\?B\?(.*)\?=$/.exec(subjectRaw)?.[1];
  const body = rest.join('\r\n\r\n');
  const part = (type: string) => {
    const match = new RegExp(`Content-Type: ${type}; charset=UTF-8\\r\\nContent-Transfer-Encoding: base64\\r\\n\\r\\n([A-Za-z0-9+/=\\r\\n]*)`).exec(body);
    return match ? Buffer.from(match[1]!.replace(/\r\n/g, ''), 'base64').toString('utf8') : '';
  };
  return {
    file,
    messageId: header('Message-ID').replace(/[<>]/g, ''),
    from: header('From'),
    to: header('To').split(', ').filter(Boolean),
    subject: subject ? Buffer.from(subject, 'base64').toString('utf8') : subjectRaw,
    text: part('text/plain'),
    html: part('text/html'),
    date: header('Date'),
  };
}
