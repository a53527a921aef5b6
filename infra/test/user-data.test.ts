import { describe, expect, it } from 'vitest';
import { checkEnvFileValue, registryOf, webUserData } from '../src/user-data.ts';

const IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/annot-dev-web@sha256:0123abcd';
const inputs = {
  region: 'eu-west-1',
  imageUri: IMAGE,
  logGroupName: '/annot/dev/web',
  port: 5000,
  env: {
    PORT: '5000',
    ORIGINALS_BUCKET: 'originals',
    DATABASE_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:1:secret:rds!db-1',
  },
};

describe('web user data', () => {
  it('writes the settings, sorted, into an env file read literally', () => {
    const script = webUserData(inputs);
    expect(script).toContain(
      "cat > /etc/annot/web.env <<'ENV'\nDATABASE_SECRET_ARN=arn:aws:secretsmanager:eu-west-1:1:secret:rds!db-1\nORIGINALS_BUCKET=originals\nPORT=5000\nENV\n",
    );
  });

  it('ships container logs to the log group', () => {
    expect(webUserData(inputs)).toContain(
      '--log-driver awslogs --log-opt awslogs-region="eu-west-1" --log-opt awslogs-group="/annot/dev/web"',
    );
  });

  it('fails when the image never pulls, instead of running nothing silently', () => {
    expect(webUserData(inputs)).toMatch(
      /if \[ "\$pulled" != true \]; then\n {2}echo "could not pull .*" >&2\n {2}exit 1/,
    );
  });

  it.each([
    ['a newline', { GEMINI_MODEL: 'a\nB=evil' }],
    ['command substitution', { GEMINI_MODEL: '$(reboot)' }],
    ['a backtick', { GEMINI_MODEL: '`id`' }],
    ['a quote', { GEMINI_MODEL: 'a"b' }],
  ])('refuses a value with %s, as the stack config check does', (_what, env) => {
    expect(() => webUserData({ ...inputs, env })).toThrow(/unsafe in a shell script/);
    expect(checkEnvFileValue(env.GEMINI_MODEL)).toMatch(/^must be one line/);
  });

  it('lets the stack config accept what it writes', () => {
    for (const value of Object.values(inputs.env)) expect(checkEnvFileValue(value)).toBeUndefined();
  });

  it('refuses an image that is not in ECR', () => {
    expect(() => webUserData({ ...inputs, imageUri: 'docker.io/library/node:24' })).toThrow(
      /not an ECR image/,
    );
  });

  it('finds the registry to log in to', () => {
    expect(registryOf(IMAGE)).toBe('123456789012.dkr.ecr.eu-west-1.amazonaws.com');
  });
});
