/** Links to an execution: from `autorestore history` and from the emails. */
import { describe, expect, it } from 'vitest';
import { executionLink } from '../../functions/domain/rules/execution-link.js';
import type { NoticeFile } from '../../functions/domain/stores/notices.js';
import { renderEmail } from '../../functions/notify-aggregator/email.js';

const ARN = 'arn:aws:states:eu-west-1:111122223333:execution:S3Autorestore-restore-object:q4_summary_csv-e20b6e5411149c88-c1';

describe('execution links', () => {
  it('point to the Step Functions console on AWS, in the execution’s Region', () => {
    expect(executionLink(ARN, undefined)).toBe(
      'https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/arn%3Aaws%3Astates%3Aeu-west-1%3A111122223333%3Aexecution%3AS3Autorestore-restore-object%3Aq4_summary_csv-e20b6e5411149c88-c1',
    );
  });

  it('point to the local console’s execution page against a local endpoint', () => {
    expect(executionLink(ARN, 'http://127.0.0.1:4566/')).toBe(`http://127.0.0.1:4566/_console/#/execution/${ARN}`);
  });

  it('are listed in each email with its file, as a link in HTML and the address in text', () => {
    const file: NoticeFile = { objectId: 's3://b/<b>x</b>.csv', cycle: 1, bucket: 'b', key: '<b>x</b>.csv', executionArn: ARN };
    const older: NoticeFile = { objectId: 's3://b/old.csv', cycle: 1, bucket: 'b', key: 'old.csv' };
    for (const kind of ['started', 'ready', 'failed'] as const) {
      const { html, text } = renderEmail(kind, [file, older], 10, (arn) => executionLink(arn, undefined));
      const url = executionLink(ARN, undefined);
      expect(html).toContain(`<a href="${url}">execution</a>`);
      expect(text).toContain(`Restore workflow: ${url}`);
      // A notice queued before executions were kept has no link, and says so.
      expect(text).toContain('Restore workflow: unknown');
      expect(html).not.toContain('<b>x');
    }
    expect(renderEmail('ready', [file], 10).text).not.toContain('Restore workflow');
  });
});
