// Loaded first by `npm start`, `npm test`, `npm run bench` and `npm run fuzz`: an older Node.js
// fails later, deep inside a dependency and with a confusing error, so say plainly what is needed.
import { readFileSync } from 'node:fs';
import semver from 'semver';

const { engines } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

/** Why this Node.js version cannot run Ticketing, or undefined when it can. */
export function unsupportedNode(version, execPath = process.execPath) {
  if (semver.satisfies(version, engines.node)) return undefined;
  return (
    `Ticketing needs Node.js ${engines.node} (it is built and tested on Node.js 24 LTS); ` +
    `this is Node.js ${version} (${execPath}).\n` +
    'Install Node.js 24 (https://nodejs.org, or a version manager: `nvm install 24`, `fnm use 24`) and run the command again.\n'
  );
}

const problem = unsupportedNode(process.versions.node);
if (problem) {
  process.stderr.write(problem);
  process.exit(1);
}
