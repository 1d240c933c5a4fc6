/**
 * mysql2's pooled connection makes a new promise wrapper on every `promise()` call, and TypeORM
 * calls it for every statement: each call `require`s the wrapper's module again (a module
 * resolution, slow under tsx's loader, which scimd runs through) and builds a fresh EventEmitter.
 * The wrapper holds nothing of a statement (only the connection and the Promise constructor), so
 * one per connection does the same work; measured in docs/benchmarks.md, "Sixth run".
 */
interface PromisingConnection {
  promise(promiseImpl?: PromiseConstructor): unknown;
}

/** Makes `connection.promise()` answer the same wrapper every time (for the default Promise). */
export function reusePromiseWrapper(connection: PromisingConnection): void {
  const make = connection.promise.bind(connection);
  let wrapper: unknown;
  connection.promise = (promiseImpl?: PromiseConstructor) => {
    if (promiseImpl !== undefined) return make(promiseImpl);
    wrapper ??= make();
    return wrapper;
  };
}
