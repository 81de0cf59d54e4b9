// The owner's session in the security centre: the API client and the signed-in account.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { createApi, readCookie } from '../lib/api.ts';

/** The user side's API client: the identity part's CSRF cookie (gh_csrf) goes back as X-CSRF-Token. */
export const api = createApi({ csrf: () => readCookie('gh_csrf') });

export interface MeAccount {
  id: string;
  handle: string;
  displayName: string;
  state: 'active' | 'frozen' | 'deleted';
  stateReason: string | null;
  freezeKind: string | null;
  createdAt: number;
}

/** The signed-in owner and a reload (after sign-out or a change of state), for every page. */
export const MeContext = createContext<{ me: MeAccount; reload: () => void } | null>(null);

export function useMe(): { me: MeAccount; reload: () => void } {
  const m = useContext(MeContext);
  if (!m) throw new Error('no security-centre session');
  return m;
}
