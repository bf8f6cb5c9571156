import type { StatusStore } from '../state/status-store.ts';

/**
 * Remembers the most recent error for `status` and for the next agent_status record. Changes the
 * store's copy only: the step that hit the error writes it with the rest of its state.
 */
export async function recordError(
  store: StatusStore,
  component: string,
  errorClass: string,
  message: string,
  hint?: string,
): Promise<void> {
  await store.change((state) => {
    state.lastError = { at: new Date().toISOString(), component, errorClass, message, ...(hint ? { hint } : {}) };
  });
}
