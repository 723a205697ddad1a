import type { ConsoleSettings, WaiaasClient } from '@waiaas/client';
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

export interface ConsoleContext {
  client: WaiaasClient;
  settings: ConsoleSettings;
  /** Re-counts the approvals badge after an approval or rejection. */
  refreshApprovals: () => void;
}

export const Console = createContext<ConsoleContext | null>(null);

export function useConsole(): ConsoleContext {
  const value = useContext(Console);
  if (value === null) throw new Error('useConsole outside a signed-in console');
  return value;
}
