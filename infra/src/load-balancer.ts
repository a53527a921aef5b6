/**
 * The internet-facing ALB in the public subnets and the web tier's target group (port 5000,
 * health checked on /health). Without a certificate, port 80 forwards to the web tier; with one,
 * 443 forwards and 80 redirects to it.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

export interface LoadBalancerArgs {
  readonly vpcId: pulumi.Input<string>;
  readonly publicSubnetIds: pulumi.Input<string[]>;
  readonly securityGroupId: pulumi.Input<string>;
  readonly port: number;
  readonly certificateArn: string | undefined;
  /**
   * With CloudFront in front: the header (name and secret value) the distribution adds. The
   * serving listener then forwards only requests that carry it and answers 403 to the rest.
   */
  readonly requiredHeader?: { readonly name: string; readonly value: pulumi.Input<string> } | undefined;
}

/** TLS 1.2 and 1.3 only. */
export const TLS_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06';

export class LoadBalancer extends pulumi.ComponentResource {
  readonly arn: pulumi.Output<string>;
  readonly arnSuffix: pulumi.Output<string>;
  readonly dnsName: pulumi.Output<string>;
  readonly targetGroupArn: pulumi.Output<string>;
  readonly targetGroupArnSuffix: pulumi.Output<string>;
  /** Where people open the gallery. */
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: LoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super('annot:infra:LoadBalancer', name, {}, opts);
    const parent = { parent: this };

    // Both autonamed (logical name and a random suffix, within the 32 characters AWS allows): a
    // replacement creates the new one, moves the listener (or the Auto Scaling group) to it, then
    // deletes the old one; an explicit name would clash with itself.
    const alb = new aws.lb.LoadBalancer(
      `${name}-alb`,
      {
        loadBalancerType: 'application',
        internal: false,
        subnets: args.publicSubnetIds,
        securityGroups: [args.securityGroupId],
        dropInvalidHeaderFields: true,
        // Uploads of up to 50 MiB on a slow connection need longer than the 60 s default.
        idleTimeout: 120,
      },
      parent,
    );

    const targetGroup = new aws.lb.TargetGroup(
      `${name}-web`,
      {
        port: args.port,
        protocol: 'HTTP',
        targetType: 'instance',
        vpcId: args.vpcId,
        deregistrationDelay: 30,
        healthCheck: {
          // /health is 200 while the process can serve, whatever the database and S3 do (their
          // state is in the body; /ready is the verdict on them), so a database reboot no longer
          // fails every target at once. The app waits at most HEALTH_CHECK_TIMEOUT_MS (2 s) for
          // them, inside the check's 5 s timeout.
          path: '/health',
          port: 'traffic-port',
          protocol: 'HTTP',
          matcher: '200',
          healthyThreshold: 2,
          unhealthyThreshold: 2,
          interval: 30,
          timeout: 5,
        },
      },
      parent,
    );

    const forward = [{ type: 'forward', targetGroupArn: targetGroup.arn }];
    const serve = args.requiredHeader
      ? [
          {
            type: 'fixed-response',
            fixedResponse: {
              contentType: 'text/plain',
              statusCode: '403',
              messageBody: 'This site is served through its CloudFront distribution.',
            },
          },
        ]
      : forward;
    let serving: aws.lb.Listener | undefined;
    if (args.certificateArn) {
      serving = new aws.lb.Listener(
        `${name}-https`,
        {
          loadBalancerArn: alb.arn,
          port: 443,
          protocol: 'HTTPS',
          sslPolicy: TLS_POLICY,
          certificateArn: args.certificateArn,
          defaultActions: serve,
        },
        parent,
      );
    }
    const http = new aws.lb.Listener(
      `${name}-http`,
      {
        loadBalancerArn: alb.arn,
        port: 80,
        protocol: 'HTTP',
        defaultActions: args.certificateArn
          ? [{ type: 'redirect', redirect: { protocol: 'HTTPS', port: '443', statusCode: 'HTTP_301' } }]
          : serve,
      },
      parent,
    );
    serving ??= http;
    if (args.requiredHeader) {
      new aws.lb.ListenerRule(
        `${name}-from-cdn`,
        {
          listenerArn: serving.arn,
          priority: 1,
          conditions: [
            { httpHeader: { httpHeaderName: args.requiredHeader.name, values: [args.requiredHeader.value] } },
          ],
          actions: forward,
        },
        parent,
      );
    }

    this.arn = alb.arn;
    this.arnSuffix = alb.arnSuffix;
    this.dnsName = alb.dnsName;
    this.targetGroupArn = targetGroup.arn;
    this.targetGroupArnSuffix = targetGroup.arnSuffix;
    this.url = pulumi.interpolate`${args.certificateArn ? 'https' : 'http'}://${alb.dnsName}/`;
    this.registerOutputs({ url: this.url, dnsName: this.dnsName });
  }
}
