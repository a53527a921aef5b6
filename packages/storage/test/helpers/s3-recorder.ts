import type { S3Client } from '@aws-sdk/client-s3';

export interface RecordedCommand {
  readonly name: string;
  readonly key: string | undefined;
  readonly uploadId: string | undefined;
  readonly ok: boolean;
}

/**
 * Records every command the client sends and whether it succeeded, and the multipart upload ids
 * the server handed out. "No pending multipart upload" is checked from the client's side: every
 * upload that was created was either completed or had an abort sent for it (the server's side:
 * TestS3Server.multipartUploads).
 */
export function recordCommands(client: S3Client) {
  const commands: RecordedCommand[] = [];
  const created: { key: string; uploadId: string }[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Key?: string; UploadId?: string };
      try {
        const result = await next(args);
        const output = result.output as { UploadId?: string };
        if (context.commandName === 'CreateMultipartUploadCommand' && output.UploadId) {
          created.push({ key: input.Key ?? '', uploadId: output.UploadId });
        }
        commands.push({
          name: context.commandName ?? '?',
          key: input.Key,
          uploadId: input.UploadId,
          ok: true,
        });
        return result;
      } catch (error) {
        commands.push({
          name: context.commandName ?? '?',
          key: input.Key,
          uploadId: input.UploadId,
          ok: false,
        });
        throw error;
      }
    },
    { step: 'initialize', name: 'testCommandRecorder' },
  );
  const sentFor = (name: string, uploadId: string) =>
    commands.some((c) => c.name === name && c.uploadId === uploadId);
  return {
    commands,
    forKey: (key: string) => commands.filter((c) => c.key === key).map((c) => c.name),
    /** Multipart uploads neither completed nor aborted. */
    pendingUploads: () =>
      created
        .filter(
          (u) =>
            !commands.some(
              (c) => c.name === 'CompleteMultipartUploadCommand' && c.uploadId === u.uploadId && c.ok,
            ) && !sentFor('AbortMultipartUploadCommand', u.uploadId),
        )
        .map((u) => `${u.key} (${u.uploadId})`),
    abortedUploads: () =>
      commands.filter((c) => c.name === 'AbortMultipartUploadCommand').map((c) => c.uploadId),
  };
}
