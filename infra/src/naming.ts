/**
 * Physical names for the resources that get an explicit AWS name.
 *
 * Names start from `<project>-<stack>`, so two stacks of the project never collide. When the result
 * is over the service's limit (32 characters for ALBs and target groups), the prefix is shortened
 * and a hash of the full prefix keeps it unique: `image-annotati-3f9a1c-alb`.
 */
import { createHash } from 'node:crypto';

export interface NameContext {
  readonly project: string;
  readonly stack: string;
}

/** AWS length limits of the names this program sets. */
export const NAME_LIMITS = {
  loadBalancer: 32,
  targetGroup: 32,
  lambda: 64,
  rdsIdentifier: 63,
  ecrRepository: 256,
  sqsQueue: 80,
  wafWebAcl: 128,
} as const;

const HASH_LENGTH = 6;

/** Lower-case letters, digits and single hyphens: valid for every service named here. */
export function sanitize(value: string): string {
  return value
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+|-+$/g, '');
}

function shortHash(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, HASH_LENGTH);
}

/** `<project>-<stack>-<component>`, shortened with a hash when over `maxLength`. */
export function physicalName(context: NameContext, component: string, maxLength: number): string {
  const prefix = sanitize(`${context.project}-${context.stack}`);
  const suffix = sanitize(component);
  if (prefix === '' || suffix === '') {
    throw new Error(`physicalName: project, stack and component must contain letters or digits`);
  }
  const full = `${prefix}-${suffix}`;
  if (full.length <= maxLength) return full;
  // Room left for the readable part of the prefix, after "-<hash>-<component>".
  const room = maxLength - suffix.length - HASH_LENGTH - 2;
  if (room < 1) {
    throw new Error(`physicalName: component "${component}" is too long for a ${maxLength}-character name`);
  }
  const head = prefix.slice(0, room).replace(/-+$/, '');
  // RDS identifiers and ALB names must start with a letter.
  const start = /^[a-z]/.test(head) ? head : `r${head.slice(1)}`;
  return `${start}-${shortHash(prefix)}-${suffix}`;
}

/** The tags every resource carries. */
export function standardTags(context: NameContext, owner: string): Record<string, string> {
  return { project: context.project, stack: context.stack, owner };
}

/** The port the web container listens on, behind the ALB. */
export const WEB_PORT = 5000;

/** Every explicit name of a stack, derived from project and stack alone. */
export function resourceNames(context: NameContext) {
  const name = (component: string, limit: number) => physicalName(context, component, limit);
  return {
    // The ALB and the target group are autonamed (load-balancer.ts): a replacement must not clash.
    annotator: name('annotator', NAME_LIMITS.lambda),
    thumbnailer: name('thumbnailer', NAME_LIMITS.lambda),
    migration: name('migrate', NAME_LIMITS.lambda),
    database: name('mysql', NAME_LIMITS.rdsIdentifier),
    repositories: {
      web: name('web', NAME_LIMITS.ecrRepository),
      annotator: name('annotator', NAME_LIMITS.ecrRepository),
      thumbnailer: name('thumbnailer', NAME_LIMITS.ecrRepository),
    },
    webAcl: name('waf', NAME_LIMITS.wafWebAcl),
    webLogGroup: `/${sanitize(context.project)}/${sanitize(context.stack)}/web`,
  };
}
