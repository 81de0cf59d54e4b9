import type { AuditTables } from '../audit/schema.ts';
import type { BusTables } from '../bus/schema.ts';
import type { ContentTables } from '../content/schema.ts';
import type { EngineTables } from '../engine/schema.ts';
import type { IdentityTables } from '../identity/schema.ts';
import type { IncidentTables } from '../incidents/schema.ts';
import type { KeysTables } from '../keys/schema.ts';
import type { ResponseTables } from '../response/schema.ts';
import type { WebhooksTables } from '../webhooks/schema.ts';

/** The whole database: every part's tables. Add a part's tables here. */
export interface DB
  extends
    BusTables,
    ContentTables,
    IdentityTables,
    KeysTables,
    WebhooksTables,
    AuditTables,
    ResponseTables,
    IncidentTables,
    EngineTables {}
