export { incidentMigrations, type IncidentTables } from './schema.ts';
export {
  IncidentService,
  type CampaignFact,
  type DecisionFact,
  type ActionFact,
  type IncidentView,
  type IncidentNotice,
  type IncidentFacts,
} from './service.ts';
export { incidentRoutes } from './routes.ts';
export { renderMarkdown } from './report.ts';
