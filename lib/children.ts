/**
 * Who owns which child. A Reaper (wait4(-1)-style reaping) must never reap a
 * child that somebody else waits for by pid: libuv (child_process) drops a child
 * silently when it finds it already reaped, and a procctl
 * Subprocess would lose its status. Owners register their pids here; the Reaper
 * reaps only pids nobody registered.
 *
 * The registry lives on globalThis under a Symbol.for key so that two copies of
 * procctl loaded in one process (CJS + a bundled copy) still share it.
 */

interface Registry {
  /** pid -> owner label ('procctl', 'child_process', ...). */
  owned: Map<number, string>;
}

const KEY = Symbol.for('procctl.children.registry');
const holder = globalThis as unknown as Record<symbol, Registry | undefined>;
const registry: Registry = holder[KEY] ?? (holder[KEY] = { owned: new Map() });

/** Marks `pid` as waited for by `owner`: reapers leave it alone. */
export function registerOwnedChild(pid: number, owner: string): void {
  registry.owned.set(pid, owner);
}

/** Forgets `pid` once its owner has reaped it. */
export function releaseOwnedChild(pid: number): void {
  registry.owned.delete(pid);
}

/** The owner of `pid`, or undefined when nobody registered it. */
export function ownerOf(pid: number): string | undefined {
  return registry.owned.get(pid);
}

/** A snapshot of the owned pids. */
export function ownedChildren(): ReadonlyMap<number, string> {
  return new Map(registry.owned);
}
