declare module 'dynalite' {
  import type { Server } from 'node:http';
  interface DynaliteOptions {
    path?: string;
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    maxItemSizeKb?: number;
  }
  export default function dynalite(options?: DynaliteOptions): Server;
}

declare module 's3rver' {
  import type { Server } from 'node:http';
  interface S3rverOptions {
    directory: string;
    silent?: boolean;
    resetOnClose?: boolean;
    allowMismatchedSignatures?: boolean;
    vhostBuckets?: boolean;
    configureBuckets?: { name: string; configs?: string[] }[];
    address?: string;
    port?: number;
  }
  export default class S3rver {
    constructor(options: S3rverOptions);
    middleware: ((ctx: never, next: () => Promise<void>) => unknown)[];
    store: {
      getMetadata(bucket: string, key: string): Promise<Record<string, string>>;
      existsObject(bucket: string, key: string): Promise<boolean>;
      putBucket(bucket: string): Promise<void>;
      getBucket(bucket: string): Promise<unknown>;
      listBuckets(): Promise<{ name: string }[]>;
    };
    callback(): (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void;
    run(): Promise<Server>;
    close(): Promise<void>;
  }
}

declare module 's3rver/lib/models/error.js' {
  const S3Error: unknown;
  export default S3Error;
}

declare module 's3rver/lib/models/account.js' {
  export const DUMMY_ACCOUNT: { createKeyPair(accessKeyId: string, secretAccessKey: string): void };
}

declare module 's3rver/lib/models/object.js' {
  const S3Object: { STORAGE_CLASSES: string[] };
  export default S3Object;
}

declare module 's3rver/lib/controllers/bucket.js' {
  const controller: { getBucket: (ctx: never) => Promise<void> };
  export default controller;
}
