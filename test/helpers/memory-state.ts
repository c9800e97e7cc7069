import type { DetectorStatePort } from '../../functions/detectors/types.ts';

/** An in-memory {@link DetectorStatePort}, with its maps exposed so tests can look inside. */
export interface MemoryState extends DetectorStatePort {
  readonly items: Map<string, Record<string, string>>;
  readonly sets: Map<string, Set<string>>;
}

/** A fresh, empty state port that behaves like the DynamoDB adapter (first writer wins, sets dedupe). */
export function memoryState(): MemoryState {
  const items = new Map<string, Record<string, string>>();
  const sets = new Map<string, Set<string>>();
  return {
    items,
    sets,
    async putIfAbsent(key, value) {
      const existing = items.get(key);
      if (existing) return { ...existing };
      // Copy, so a caller mutating its object cannot change what is stored.
      items.set(key, { ...value });
      return { ...value };
    },
    async get(key) {
      const value = items.get(key);
      return value ? { ...value } : undefined;
    },
    async addToSet(key, member) {
      let set = sets.get(key);
      if (!set) sets.set(key, (set = new Set()));
      set.add(member);
      return set.size;
    },
  };
}
