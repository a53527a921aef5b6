/**
 * One ECR repository per image (scanned on push, with a lifecycle policy), and the image itself,
 * built from its Dockerfile and pushed by awsx. `imageUri` pins the pushed digest, so a changed
 * image rolls out as a change to whatever uses it.
 */

import * as aws from '@pulumi/aws';
import * as awsx from '@pulumi/awsx';
import * as pulumi from '@pulumi/pulumi';
import type { AnnotatorChoice } from './config-types.ts';
import { contextPath, IMAGE_BUILDS, type ImageName } from './paths.ts';

export interface ImagesArgs {
  /** Repository name per image; lower case, unique per stack. */
  readonly repositoryNames: Readonly<Record<ImageName, string>>;
  readonly production: boolean;
  /** Built into the annotator image (`ARG ANNOTATOR` of apps/annotator/Dockerfile). */
  readonly annotator: AnnotatorChoice;
}

export interface BuiltImage {
  readonly repositoryArn: pulumi.Output<string>;
  readonly repositoryUrl: pulumi.Output<string>;
  readonly imageUri: pulumi.Output<string>;
}

/** Keep the last 10 tagged images; drop untagged layers after a week. */
export const ECR_LIFECYCLE_POLICY = {
  rules: [
    {
      rulePriority: 1,
      description: 'Expire untagged images after 7 days',
      selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 7 },
      action: { type: 'expire' },
    },
    {
      rulePriority: 2,
      description: 'Keep the 10 most recent images',
      selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 10 },
      action: { type: 'expire' },
    },
  ],
};

export class Images extends pulumi.ComponentResource {
  readonly web: BuiltImage;
  readonly annotator: BuiltImage;
  readonly thumbnailer: BuiltImage;

  constructor(name: string, args: ImagesArgs, opts?: pulumi.ComponentResourceOptions) {
    super('annot:infra:Images', name, {}, opts);
    this.web = this.#image(name, 'web', args);
    this.annotator = this.#image(name, 'annotator', args);
    this.thumbnailer = this.#image(name, 'thumbnailer', args);
    this.registerOutputs({
      web: this.web.imageUri,
      annotator: this.annotator.imageUri,
      thumbnailer: this.thumbnailer.imageUri,
    });
  }

  #image(name: string, image: ImageName, args: ImagesArgs): BuiltImage {
    const repository = new aws.ecr.Repository(
      `${name}-${image}`,
      {
        name: args.repositoryNames[image],
        imageScanningConfiguration: { scanOnPush: true },
        imageTagMutability: 'MUTABLE',
        encryptionConfigurations: [{ encryptionType: 'AES256' }],
        // Outside production, destroying the stack also deletes the pushed images.
        forceDelete: !args.production,
      },
      // The name is explicit: a replacement must delete the old repository first (in production,
      // where a repository with images is not deleted, the replacement then fails and says so).
      { parent: this, deleteBeforeReplace: true },
    );
    new aws.ecr.LifecyclePolicy(
      `${name}-${image}`,
      { repository: repository.name, policy: JSON.stringify(ECR_LIFECYCLE_POLICY) },
      { parent: this },
    );
    const build = IMAGE_BUILDS[image];
    const built = new awsx.ecr.Image(
      `${name}-${image}`,
      {
        repositoryUrl: repository.repositoryUrl,
        // Relative to the directory Pulumi runs in (the repository root), so that a checkout at
        // another path builds the same image inputs instead of replacing every image.
        context: contextPath(build.context),
        dockerfile: contextPath(build.dockerfile),
        ...(image === 'annotator' ? { args: { ANNOTATOR: args.annotator } } : {}),
        // Lambda and the t3 instances are x86_64, whatever machine runs `pulumi up`.
        platform: 'linux/amd64',
      },
      { parent: this },
    );
    return {
      repositoryArn: repository.arn,
      repositoryUrl: repository.repositoryUrl,
      imageUri: built.imageUri,
    };
  }
}
