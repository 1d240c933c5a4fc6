import { describeClient } from './replay';

/**
 * Requests as Okta's SCIM client sends them, replayed from `fixtures/okta/*.json` (see replay.ts for
 * the fixture format). Each fixture names the Okta habit it shows in its `quirk`; the server code
 * that handles one points back to the fixture.
 */
describeClient('Okta', 'okta', 'okta');
