/** s3rver's configuration models: the tagging one is what the local S3 writes for copied and given tags. */
declare module 's3rver/lib/models/config.js' {
  export const TaggingConfiguration: unknown;
}
