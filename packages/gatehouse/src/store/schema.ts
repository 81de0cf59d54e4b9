import type { AuditTables } from '../audit/schema.ts';
import type { BusTables } from '../bus/schema.ts';
import type { ContentTables } from '../content/schema.ts';
import type { EngineTables } from '../engine/schema.ts';
import type { IdentityTables } from '../identity/schema.ts';
import type { IncidentTables } from '../incidents/schema.ts';
import type { KeysTables } from '../keys/schema.ts';
import type { NotifyTables } from '../notify/schema.ts';
import type { OAuthTables } from '../oauth/schema.ts';
import type { RateLimitTables } from '../ratelimit/schema.ts';
import type { RecoveryTables } from '../recovery/schema.ts';
import type { ResponseTables } from '../response/schema.ts';
import type { WebhooksTables } from '../webhooks/schema.ts';
import type { ConsoleTables } from '../console/schema.ts';
import type { ClusterTables } from '../cluster/schema.ts';

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
    EngineTables,
    RecoveryTables,
    NotifyTables,
    OAuthTables,
    RateLimitTables,
    ConsoleTables,
    ClusterTables {}
