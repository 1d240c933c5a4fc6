/**
 * Asks for the next item of an async sequence while the caller works on the current one: a full
 * sync's next LDAP page travels while the current page is planned and written. One item ahead, so
 * memory holds two pages at most.
 */
export async function* readAhead<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  try {
    let next = iterator.next();
    for (;;) {
      const result = await next;
      if (result.done === true) return;
      next = iterator.next();
      // Handled here so that a failure while the caller works is not an unhandled rejection; the await above rethrows it.
      next.catch(() => undefined);
      yield result.value;
    }
  } finally {
    await iterator.return?.();
  }
}
