import { describe } from 'vitest';
import { repositoryContract } from './contract/index.ts';
import { sqliteTarget } from './helpers.ts';

describe('SQLite repository', () => {
  repositoryContract(sqliteTarget());
});
