import { mariaDbAvailable } from '@annot/testing';
import { describe } from 'vitest';
import { repositoryContract } from './contract/index.ts';
import { mariaDbTarget } from './helpers.ts';

describe.runIf(await mariaDbAvailable())('MariaDB repository', () => {
  repositoryContract(mariaDbTarget());
});
