import type { Migration } from 'kysely';
import * as m0001 from './0001-initial.js';
import * as m0002 from './0002-sessions.js';
import * as m0003 from './0003-account-queues.js';
import * as m0004 from './0004-networks.js';
import * as m0005 from './0005-claim-function.js';
import * as m0006 from './0006-lighter-attempts.js';
import * as m0007 from './0007-claim-generic-plan.js';
import * as m0008 from './0008-covering-window-index.js';
import * as m0009 from './0009-stop-after-attempt.js';

/** Every migration, in order. Names are permanent: never rename one that has shipped. */
export const migrations: Record<string, Migration> = {
  '0001-initial': m0001,
  '0002-sessions': m0002,
  '0003-account-queues': m0003,
  '0004-networks': m0004,
  '0005-claim-function': m0005,
  '0006-lighter-attempts': m0006,
  '0007-claim-generic-plan': m0007,
  '0008-covering-window-index': m0008,
  '0009-stop-after-attempt': m0009,
};
