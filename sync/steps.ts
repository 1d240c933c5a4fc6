/**
 * Work written as a generator that yields between steps (a few thousand members of a role, say),
 * run one of two ways: all at once by a caller that wants its answer now (a delta's plan, the
 * tests), or a step a turn by the full run inside `scimd serve`, where one role of everyone planned
 * in a single piece held the event loop, and with it every SCIM request, for most of a second.
 */
export type Steps<T> = Generator<void, T, void>;

/** Runs every step now and returns the result. */
export function allSteps<T>(steps: Steps<T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
  }
}

/** Runs one step a turn of the event loop: what is waiting (I/O callbacks, timers) runs between steps. */
export async function stepsInTurns<T>(steps: Steps<T>): Promise<T> {
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
    await new Promise<void>((resolve) => {
      setImmediate(resolve);
    });
  }
}
