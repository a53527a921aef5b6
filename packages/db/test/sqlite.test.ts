import { describe } from 'vitest';
import { repositoryContract } from './contract/index.ts';
import { openSqlite } from './helpers.ts';

describe('SQLite repository', () => {
  repositoryContract(openSqlite);
});
