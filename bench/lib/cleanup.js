// Resources the bench creates (temp dirs, child processes, databases, in-process apps) register a
// release function here. Scenarios release their own in `finally`; whatever is still registered
// when the bench is interrupted (Ctrl-C, global time limit, crash) is released by releaseAll().

const pending = new Map(); // id -> { label, fn }
let nextId = 1;

/** Registers `fn`; returns a function that runs it once and unregisters it. */
export function track(label, fn) {
  const id = nextId++;
  pending.set(id, { label, fn });
  return async () => {
    if (!pending.delete(id)) return;
    await fn();
  };
}

/** Runs every release still registered, newest first; never throws. */
export async function releaseAll() {
  const entries = [...pending.entries()].reverse();
  pending.clear();
  for (const [, { label, fn }] of entries) {
    try {
      await fn();
    } catch (err) {
      console.error(`cleanup of ${label} failed: ${err?.message ?? err}`);
    }
  }
}
