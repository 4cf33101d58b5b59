/**
 * The email a recipient gets for one batch: every file, in HTML and plain text. Keys are
 * user-controlled (any UTF-8, up to 1,024 bytes): they are escaped for HTML and quoted for
 * the shell command we suggest, never interpreted.
 */
import type { NoticeFile, NoticeKind } from '../domain/stores/notices.js';
import { formatUsd } from '../domain/rules/restore-cost.js';

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A POSIX shell word that stands for exactly this string. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export function formatTime(iso: string | undefined): string {
  if (!iso) return 'unknown';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? 'unknown' : `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** How to download the restored copy, as a command the reader can paste. */
export function fetchCommand(file: Pick<NoticeFile, 'bucket' | 'key' | 'versionId' | 'prefix'>): string {
  if (file.prefix !== undefined) return `aws s3 cp --recursive ${shellQuote(`s3://${file.bucket}/${file.prefix}`)} .`;
  if (file.versionId) {
    const name = file.key.split('/').pop() || 'object';
    return `aws s3api get-object --bucket ${shellQuote(file.bucket)} --key ${shellQuote(file.key)} --version-id ${shellQuote(file.versionId)} ${shellQuote(name)}`;
  }
  return `aws s3 cp ${shellQuote(`s3://${file.bucket}/${file.key}`)} .`;
}

const plural = (n: number) => (n === 1 ? '1 file' : `${n} files`);

const COPY: Record<NoticeKind, { subject: (n: number) => string; intro: string; columns: string[] }> = {
  started: {
    subject: (n) => `Restoring ${plural(n)} from archive`,
    intro: 'You tried to read archived files. They are being restored; you will get another email when they are ready.',
    columns: ['Bucket', 'Key', 'Storage class', 'Retrieval tier', 'Expected ready by', 'Restore cost'],
  },
  ready: {
    subject: (n) => `${plural(n)} restored and ready to download`,
    intro: 'The archived files you tried to read are restored. Download them before the restored copy expires.',
    columns: ['Bucket', 'Key', 'Available until', 'How to download'],
  },
  failed: {
    subject: (n) => `${plural(n)} could not be restored`,
    intro: 'The archived files you tried to read could not be restored.',
    columns: ['Bucket', 'Key', 'Reason'],
  },
  'awaiting-approval': {
    subject: (n) => `${plural(n)} waiting for approval before restore`,
    intro: 'You tried to read archived files whose restore needs a person to approve it. You will get another email when it is decided.',
    columns: ['Bucket', 'Key', 'Restore cost', 'Why approval is needed'],
  },
  'approval-requested': {
    subject: (n) => `Approve or deny the restore of ${plural(n)}`,
    intro: 'These restores wait for your decision. Unanswered requests are denied when they expire.',
    columns: ['Bucket', 'Key', 'Requested by', 'Restore cost', 'Why approval is needed', 'How to decide'],
  },
  expiring: {
    subject: (n) => `The restored copy of ${plural(n)} expires soon`,
    intro:
      'The restored copies of these archived files expire soon; reading them after that needs a new restore. To keep a copy longer, extend it (no new retrieval); to make a file permanently readable, keep it. Someone with access to the bucket can run the commands below.',
    columns: ['Bucket', 'Key', 'Expires', 'To extend it by 7 days', 'To keep it'],
  },
  extended: {
    subject: (n) => `The restored copy of ${plural(n)} stays longer`,
    intro: 'The restored copies of these archived files you read were extended: they stay readable until the time below.',
    columns: ['Bucket', 'Key', 'Available until', 'How to download'],
  },
};

function costOf(file: NoticeFile): string {
  return file.costMicroUsd === undefined ? 'unknown' : formatUsd(file.costMicroUsd);
}

/** The commands an approver runs; the object (and its version) quoted for the shell. */
export function decisionCommands(file: Pick<NoticeFile, 'bucket' | 'key' | 'versionId'>): string {
  const url = `${shellQuote(`s3://${file.bucket}/${file.key}`)}${file.versionId ? ` --version-id ${shellQuote(file.versionId)}` : ''}`;
  return `autorestore approve ${url}  |  autorestore deny ${url} --reason '...'`;
}

function cells(kind: NoticeKind, file: NoticeFile): string[] {
  switch (kind) {
    case 'started':
      return [
        file.bucket,
        file.key,
        file.storageClass ?? 'unknown',
        file.downgradedToBulk ? `${file.tier ?? 'Bulk'} (this month's restore budget is spent, so the cheapest tier: later than usual)` : (file.tier ?? 'unknown'),
        formatTime(file.expectedReadyAt),
        costOf(file),
      ];
    case 'ready':
      return [file.bucket, file.key, file.expiryDate ? formatTime(file.expiryDate) : 'no expiry', fetchCommand(file)];
    case 'failed':
      return [file.bucket, file.key, file.failureReason ?? 'unknown'];
    case 'awaiting-approval':
      return [file.bucket, file.key, costOf(file), file.approvalReason ?? 'unknown'];
    case 'approval-requested':
      return [file.bucket, file.key, file.requestedBy ?? 'unknown', costOf(file), file.approvalReason ?? 'unknown', decisionCommands(file)];
    case 'extended':
      return [file.bucket, file.key, formatTime(file.expiryDate), fetchCommand(file)];
    case 'expiring':
      return [
        file.bucket,
        file.key,
        formatTime(file.expiryDate),
        `autorestore extend ${shellQuote(`s3://${file.bucket}/${file.key}`)} --days 7`,
        `autorestore keep ${shellQuote(`s3://${file.bucket}/${file.key}`)}`,
      ];
  }
}

const WORKFLOW_COLUMN = 'Restore workflow';
/** Columns that hold a command to paste: shown as code. */
const CODE_COLUMNS = new Set(['How to download', 'How to decide', 'To extend it by 7 days', 'To keep it']);

/**
 * `executionLink`, when given, adds a column linking each file's restore workflow execution
 * (functions/domain/rules/execution-link.ts).
 */
export function renderEmail(kind: NoticeKind, files: readonly NoticeFile[], maxFiles: number, executionLink?: (executionArn: string) => string): RenderedEmail {
  const base = COPY[kind];
  const copy = executionLink ? { ...base, columns: [...base.columns, WORKFLOW_COLUMN] } : base;
  const shown = files.slice(0, maxFiles);
  const hidden = files.length - shown.length;
  const more = hidden > 0 ? `... and ${plural(hidden)} more, not listed here (${files.length} in all).` : '';

  const rows = shown.map((file) => [...cells(kind, file), ...(executionLink ? [file.executionArn ? executionLink(file.executionArn) : 'unknown'] : [])]);
  const text = [copy.intro, '', ...rows.map((row) => row.map((cell, i) => `${copy.columns[i]}: ${cell}`).join('\n') + '\n'), more]
    .filter((line, i, all) => line !== '' || i < all.length - 1)
    .join('\n');

  const th = copy.columns.map((c) => `<th align="left">${escapeHtml(c)}</th>`).join('');
  const htmlCell = (cell: string, column: string | undefined) => {
    if (CODE_COLUMNS.has(column ?? '')) return `<code>${escapeHtml(cell)}</code>`;
    if (column === WORKFLOW_COLUMN && /^https?:\/\//.test(cell)) return `<a href="${escapeHtml(cell)}">execution</a>`;
    return escapeHtml(cell);
  };
  const tr = rows.map((row) => `<tr>${row.map((cell, i) => `<td>${htmlCell(cell, copy.columns[i])}</td>`).join('')}</tr>`).join('\n');
  const html = [
    '<!doctype html><html><body>',
    `<p>${escapeHtml(copy.intro)}</p>`,
    `<table border="1" cellpadding="4" cellspacing="0"><thead><tr>${th}</tr></thead><tbody>\n${tr}\n</tbody></table>`,
    more ? `<p>${escapeHtml(more)}</p>` : '',
    '</body></html>',
  ].join('\n');

  // A bulk restore's entry stands for all the files of its folder.
  const fileCount = files.reduce((n, file) => n + (file.fileCount ?? 1), 0);
  return { subject: copy.subject(fileCount), html, text };
}
