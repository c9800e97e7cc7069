// The in-memory adapters live with the other adapters; tests import them from here too.
export * from '../../functions/adapters/memory.ts';
