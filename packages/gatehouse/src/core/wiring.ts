import type { AuditService } from '../audit/index.ts';
import type { ContentService } from '../content/index.ts';
import type { EngineService } from '../engine/index.ts';
import type { IdentityService } from '../identity/index.ts';
import type { IncidentService } from '../incidents/index.ts';
import type { KeyService } from '../keys/index.ts';
import type { NotifyService } from '../notify/index.ts';
import type { OAuthService } from '../oauth/index.ts';
import type { RecoveryService } from '../recovery/index.ts';
import type { PolicyManager, ResponseService } from '../response/index.ts';
import type { WebhookDispatcher } from '../webhooks/index.ts';

/** The parts' services one module may call on another (types only: modules never import each other). */
export interface Parts {
  identity: IdentityService;
  keys: KeyService;
  dispatcher: WebhookDispatcher;
  notify: NotifyService;
  content: ContentService;
  engine: EngineService;
  oauth: OAuthService;
  response: ResponseService;
  incidents: IncidentService;
  recovery: RecoveryService;
  audit: AuditService;
  policy: PolicyManager;
}

/**
 * The parts as the root builds them. The parts call one another both ways (identity's sign-ins notify
 * the owner, notify's "this wasn't me" asks the response part to contain), so a module takes the
 * others through `get` at call time; a part used before it is built is a wiring error, said by name.
 */
export class Wiring {
  private readonly parts: Partial<Parts> = {};

  set<K extends keyof Parts>(name: K, part: Parts[K]): Parts[K] {
    this.parts[name] = part;
    return part;
  }

  get<K extends keyof Parts>(name: K): Parts[K] {
    const p = this.parts[name];
    if (p === undefined) throw new Error(`wiring: ${name} is used before it is built`);
    return p;
  }
}
