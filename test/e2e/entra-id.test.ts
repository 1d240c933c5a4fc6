import { describeClient } from './replay';

/**
 * Requests as Microsoft Entra ID's provisioning service sends them, replayed from
 * `fixtures/entra-id/*.json` (see replay.ts for the fixture format). Each fixture names the Entra
 * habit it shows in its `quirk`; the server code that handles one points back to the fixture.
 */
describeClient('Microsoft Entra ID', 'entra-id', 'entra-id');
