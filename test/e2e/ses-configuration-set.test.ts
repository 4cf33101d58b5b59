/** The local SES takes SendEmail with a ConfigurationSetName, as the aggregator sends it when one is configured. */
import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../local/harness.js';

let h: Harness;
let ses: SESv2Client;

beforeAll(async () => {
  h = await startHarness();
  ses = new SESv2Client({ endpoint: h.cloud.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIASESCLIENT0000001', secretAccessKey: 'local' } });
});
afterAll(async () => {
  ses.destroy();
  await h.stop();
});

it('SendEmail with ConfigurationSetName lands in the outbox', async () => {
  const out = await ses.send(
    new SendEmailCommand({
      FromEmailAddress: 'restores@autorestore.local',
      ConfigurationSetName: 'autorestore-notices',
      Destination: { ToAddresses: ['reader@example.com'] },
      Content: { Simple: { Subject: { Data: 'with a configuration set' }, Body: { Text: { Data: 'body' } } } },
    }),
  );
  expect(out.MessageId).toEqual(expect.any(String));
  expect(h.cloud.ses.list().map((m) => [m.to, m.subject])).toEqual([[['reader@example.com'], 'with a configuration set']]);
});
