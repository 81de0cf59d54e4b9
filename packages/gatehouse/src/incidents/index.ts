export { incidentMigrations, type IncidentTables } from './schema.ts';
export {
  IncidentService,
  type CampaignFact,
  type DecisionFact,
  type ActionFact,
  type IncidentView,
  type IncidentNotice,
  type IncidentFacts,
  type AppIncidentFacts,
  type PartIncidentInput,
} from './service.ts';
export { IncidentFeed, type IncidentFeedOptions } from './feed.ts';
export { type IncidentWork } from './batch.ts';
export { incidentRoutes } from './routes.ts';
export { renderMarkdown } from './report.ts';
