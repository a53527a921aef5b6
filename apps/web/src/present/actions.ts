import type { ImageRecord } from '@annot/db';
import type { Allowed } from '../auth/permissions.ts';

/** What views/partials/actions.eta shows for one image and one viewer. */
export interface ActionsView {
  readonly id: number;
  readonly filename: string;
  /** Where the page goes after a delete: the gallery, or nowhere (the card just goes). */
  readonly back: string;
  readonly retryThumbnail: boolean;
  readonly retryAnnotation: boolean;
  /** Both stages failed: one button retries both. */
  readonly retryBoth: boolean;
}

type Shown = Pick<ImageRecord, 'id' | 'filename' | 'thumbnailStatus' | 'annotationStatus'>;

/** The buttons for what `allowed` permits: delete, and one-click retry of what failed. */
export function actionsView(record: Shown, allowed: Allowed, back: string): ActionsView | null {
  if (!allowed.delete && !allowed.retry) return null;
  const thumbnailFailed = allowed.retry && record.thumbnailStatus === 'failed';
  const annotationFailed = allowed.retry && record.annotationStatus === 'failed';
  const both = thumbnailFailed && annotationFailed;
  return {
    id: record.id,
    filename: record.filename,
    back,
    retryThumbnail: thumbnailFailed && !both,
    retryAnnotation: annotationFailed && !both,
    retryBoth: both,
  };
}
