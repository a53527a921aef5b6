import type { Target } from '../helpers.ts';
import { useRepository } from '../helpers.ts';
import { actionContract } from './actions.ts';
import { contentContract } from './content.ts';
import { failureContract } from './failures.ts';
import { leaseContract } from './leases.ts';
import { pagingContract } from './paging.ts';
import { readContract } from './reads.ts';
import { searchContract } from './search.ts';
import { sweepContract } from './sweep.ts';
import { tagContract } from './tags.ts';
import { writeContract } from './writes.ts';

/** The one behaviour suite every dialect must pass (run by sqlite.test.ts and mariadb.test.ts). */
export function repositoryContract(target: Target): void {
  const context = useRepository(target);
  writeContract(context);
  failureContract(context);
  leaseContract(context);
  readContract(context);
  pagingContract(context);
  searchContract(context);
  sweepContract(context);
  actionContract(context);
  contentContract(context);
  tagContract(context);
}
