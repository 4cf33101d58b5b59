/** PutEvents over the JSON protocol, without pulling in the EventBridge SDK client for one call. */
export class EventBridgeClientStub {
  constructor(private readonly endpoint: string) {}

  async putEvents(entries: { Source: string; DetailType: string; Detail: string }[]): Promise<void> {
    const response = await fetch(this.endpoint, {
      method: 'POST',
      headers: {
        authorization: 'AWS4-HMAC-SHA256 Credential=AKIABENCHADMIN000001/20260101/us-east-1/events/aws4_request, SignedHeaders=host, Signature=0',
        'x-amz-target': 'AWSEvents.PutEvents',
        'content-type': 'application/x-amz-json-1.1',
      },
      body: JSON.stringify({ Entries: entries }),
    });
    const body = (await response.json()) as { FailedEntryCount?: number };
    if (!response.ok || body.FailedEntryCount) throw new Error(`PutEvents failed: ${JSON.stringify(body)}`);
  }
}
