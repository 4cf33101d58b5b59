/** The parts of s3rver's file store that the opaque-key store builds on. */
declare module 's3rver/lib/stores/filesystem.js' {
  export default class FilesystemStore {
    constructor(rootDirectory: string);
    readonly rootDirectory: string;
    getBucketPath(bucket: string): string;
    getResourcePath(bucket: string, key: string | undefined, resource: string): string;
    getMetadata(bucket: string, key: string): Promise<Record<string, string>>;
    putMetadata(bucket: string, key: string, metadata: Record<string, string>, md5?: string): Promise<void>;
    existsObject(bucket: string, key: string): Promise<boolean>;
    getBucket(bucket: string): Promise<unknown>;
    putBucket(bucket: string): Promise<unknown>;
    listBuckets(): Promise<unknown[]>;
    listObjects(
      bucket: string,
      options: { prefix?: string; delimiter?: string; startAfter?: string; maxKeys?: number },
    ): Promise<{ objects: { key: string; metadata: Record<string, string> }[]; commonPrefixes: string[]; isTruncated: boolean }>;
    deleteObject(bucket: string, key: string): Promise<void>;
    putPart(bucket: string, uploadId: string, partNumber: string, content: unknown): Promise<{ size: number; md5: string }>;
    putObjectMultipart(bucket: string, uploadId: string, parts: unknown[]): Promise<{ size: number; md5: string }>;
  }
}
