/**
 * The ASL interpreter (aws-local-stepfunctions) uses Promise.withResolvers, which Node adds
 * in version 22. On Node 20 this supplies it; on 22 and later it does nothing.
 */
export function withResolversPolyfill(): void {
  const P = Promise as unknown as { withResolvers?: () => unknown };
  if (typeof P.withResolvers === 'function') return;
  P.withResolvers = function withResolvers<T>() {
    let resolve!: (value: T | PromiseLike<T>) => void;
    let reject!: (reason?: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
