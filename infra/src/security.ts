/**
 * Security groups, each rule its own resource so a rule change never replaces a group:
 * ALB: 80 (and 443 with a certificate) from anywhere, egress only to the web port.
 * Web: the app port from the ALB only; egress to MySQL on the database group and to HTTPS.
 * Database: 3306 from the web and Lambda groups only; no egress.
 * Lambda: no ingress; egress to MySQL on the database group and to HTTPS.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

export interface SecurityArgs {
  readonly vpcId: pulumi.Input<string>;
  readonly webPort: number;
  readonly https: boolean;
  /**
   * CloudFront in front (enableCloudFront): the ALB admits only this managed prefix list
   * (CloudFront's origin-facing addresses), on the one port the distribution uses (443 with a
   * certificate, else 80), instead of the internet. The list weighs ~55 rules against the group's
   * quota of 60, so it is admitted on one port only.
   */
  readonly albIngressPrefixListId?: pulumi.Input<string> | undefined;
}

const ANYWHERE = '0.0.0.0/0';
const MYSQL = 3306;
const HTTPS = 443;

export class Security extends pulumi.ComponentResource {
  readonly albSecurityGroupId: pulumi.Output<string>;
  readonly webSecurityGroupId: pulumi.Output<string>;
  readonly databaseSecurityGroupId: pulumi.Output<string>;
  readonly lambdaSecurityGroupId: pulumi.Output<string>;

  constructor(name: string, args: SecurityArgs, opts?: pulumi.ComponentResourceOptions) {
    super('annot:infra:Security', name, {}, opts);
    const group = (role: string, description: string) =>
      new aws.ec2.SecurityGroup(`${name}-${role}`, { vpcId: args.vpcId, description }, { parent: this });

    const alb = group('alb', 'Application load balancer: HTTP(S) from the internet');
    const web = group('web', 'Web instances: app port from the load balancer only');
    const db = group('db', 'RDS MySQL: 3306 from the web tier and the workers only');
    const lambda = group('lambda', 'Worker Lambdas: egress only');

    type Peer =
      | { cidrIpv4: string }
      | { referencedSecurityGroupId: pulumi.Input<string> }
      | { prefixListId: pulumi.Input<string> };
    const rule = (
      direction: 'in' | 'out',
      ruleName: string,
      sg: aws.ec2.SecurityGroup,
      port: number,
      peer: Peer,
      description: string,
    ) => {
      const args = {
        securityGroupId: sg.id,
        ipProtocol: 'tcp',
        fromPort: port,
        toPort: port,
        description,
        ...peer,
      };
      return direction === 'in'
        ? new aws.vpc.SecurityGroupIngressRule(`${name}-${ruleName}`, args, { parent: this })
        : new aws.vpc.SecurityGroupEgressRule(`${name}-${ruleName}`, args, { parent: this });
    };

    if (args.albIngressPrefixListId) {
      rule(
        'in',
        args.https ? 'alb-https-from-cdn' : 'alb-http-from-cdn',
        alb,
        args.https ? HTTPS : 80,
        { prefixListId: args.albIngressPrefixListId },
        'From CloudFront only',
      );
    } else {
      rule('in', 'alb-http', alb, 80, { cidrIpv4: ANYWHERE }, 'HTTP from the internet');
      if (args.https) rule('in', 'alb-https', alb, HTTPS, { cidrIpv4: ANYWHERE }, 'HTTPS from the internet');
    }
    rule('out', 'alb-to-web', alb, args.webPort, { referencedSecurityGroupId: web.id }, 'To the web tier');

    rule(
      'in',
      'web-from-alb',
      web,
      args.webPort,
      { referencedSecurityGroupId: alb.id },
      'From the load balancer',
    );
    rule('out', 'web-to-db', web, MYSQL, { referencedSecurityGroupId: db.id }, 'To MySQL');
    rule(
      'out',
      'web-https',
      web,
      HTTPS,
      { cidrIpv4: ANYWHERE },
      'ECR, S3, Secrets Manager, package repositories',
    );

    rule('in', 'db-from-web', db, MYSQL, { referencedSecurityGroupId: web.id }, 'From the web tier');
    rule(
      'in',
      'db-from-lambda',
      db,
      MYSQL,
      { referencedSecurityGroupId: lambda.id },
      'From the worker Lambdas',
    );

    rule('out', 'lambda-to-db', lambda, MYSQL, { referencedSecurityGroupId: db.id }, 'To MySQL');
    rule('out', 'lambda-https', lambda, HTTPS, { cidrIpv4: ANYWHERE }, 'Gemini, S3, Secrets Manager');

    this.albSecurityGroupId = alb.id;
    this.webSecurityGroupId = web.id;
    this.databaseSecurityGroupId = db.id;
    this.lambdaSecurityGroupId = lambda.id;
    this.registerOutputs({
      albSecurityGroupId: alb.id,
      webSecurityGroupId: web.id,
      databaseSecurityGroupId: db.id,
      lambdaSecurityGroupId: lambda.id,
    });
  }
}
