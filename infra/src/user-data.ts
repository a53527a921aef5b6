/**
 * The web instances' user data: install Docker on Amazon Linux 2023, log in to ECR with the
 * instance role, pull the web image and run it on port 5000 with its settings.
 *
 * The script carries settings and secret ARNs only. The app fetches the database password from
 * Secrets Manager at start, so nothing secret is ever in the launch template.
 */
import type { AppEnv } from './app-env.ts';

export interface WebUserDataInputs {
  readonly region: string;
  /** The pinned image, `<registry>/<repository>@sha256:<digest>`. */
  readonly imageUri: string;
  readonly logGroupName: string;
  readonly env: AppEnv;
  readonly port: number;
}

export const ENV_FILE = '/etc/annot/web.env';

/**
 * Characters allowed in env-file values (written through a quoted heredoc, so taken literally;
 * "!" occurs in the ARNs of RDS-managed secrets) and in the values the script double-quotes.
 */
const SAFE_VALUE = /^[A-Za-z0-9 _.,:/@#+=%!-]*$/;
const SAFE_TOKEN = /^[A-Za-z0-9_.:/@-]+$/;

/** Returns why `value` cannot be a setting in the env file, or undefined when it can. */
export function checkEnvFileValue(value: string): string | undefined {
  return SAFE_VALUE.test(value)
    ? undefined
    : `must be one line of letters, digits, spaces and _.,:/@#+=%!- (the web user data writes it to a shell script; got ${JSON.stringify(value)})`;
}

function requireSafe(what: string, value: string, pattern: RegExp): string {
  if (!pattern.test(value))
    throw new Error(
      `user data: ${what} contains characters that are unsafe in a shell script: ${JSON.stringify(value)}`,
    );
  return value;
}

/** The ECR registry host of an image URI (what `docker login` needs). */
export function registryOf(imageUri: string): string {
  const host = imageUri.split('/')[0] ?? '';
  if (!/\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/.test(host))
    throw new Error(`user data: ${imageUri} is not an ECR image`);
  return host;
}

export function webUserData(inputs: WebUserDataInputs): string {
  const image = requireSafe('image URI', inputs.imageUri, SAFE_TOKEN);
  const registry = registryOf(image);
  const region = requireSafe('region', inputs.region, SAFE_TOKEN);
  const logGroup = requireSafe('log group', inputs.logGroupName, SAFE_TOKEN);
  const port = String(inputs.port);
  const envLines = Object.entries(inputs.env)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(
      ([name, value]) =>
        `${requireSafe('setting name', name, /^[A-Z][A-Z0-9_]*$/)}=${requireSafe(name, value, SAFE_VALUE)}`,
    )
    .sort();

  return `#!/bin/bash
# Web tier bootstrap for Amazon Linux 2023. Settings only: secrets are fetched by the app at start.
set -euo pipefail

# The NAT route and the package mirrors may not answer in the first seconds after boot: retry with
# backoff (set -e would end the script at the first failure, leaving an instance without Docker).
installed=false
for attempt in 1 2 3 4 5; do
  if dnf install -y docker; then
    installed=true
    break
  fi
  sleep $((attempt * 10))
done
if [ "$installed" != true ]; then
  echo "could not install docker" >&2
  exit 1
fi
systemctl enable --now docker

install -d -m 0750 /etc/annot
cat > ${ENV_FILE} <<'ENV'
${envLines.join('\n')}
ENV
chmod 0640 ${ENV_FILE}

# ECR may not be reachable for the first seconds after boot (NAT, DNS): retry with backoff.
pulled=false
for attempt in 1 2 3 4 5; do
  if aws ecr get-login-password --region "${region}" | docker login --username AWS --password-stdin "${registry}" \\
    && docker pull "${image}"; then
    pulled=true
    break
  fi
  sleep $((attempt * 10))
done
if [ "$pulled" != true ]; then
  echo "could not pull ${image}" >&2
  exit 1
fi

docker run -d --name web --restart always -p ${port}:${port} --env-file ${ENV_FILE} \\
  --log-driver awslogs --log-opt awslogs-region="${region}" --log-opt awslogs-group="${logGroup}" \\
  "${image}"
`;
}
