/**
 * The policy pack entry point: `pulumi preview --policy-pack infra/policy`. Constructing the pack
 * starts its policy server, so tests import the rules from ./rules instead of this file.
 */
import { PolicyPack } from '@pulumi/policy';
import { POLICIES } from './rules/index.ts';

new PolicyPack('annot-security', { policies: POLICIES, enforcementLevel: 'mandatory' });
