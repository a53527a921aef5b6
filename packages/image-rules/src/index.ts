export { classifyDecodeError, errorDetail } from './decode-errors.ts';
export { DETECT_BYTES, type Detection, detectFormat } from './detect.ts';
export {
  ACCEPT_ATTRIBUTE,
  ACCEPTED_FORMATS,
  ACCEPTED_NAMES,
  type FormatInfo,
  formatInfo,
  formatOfContentType,
  type ImageFormat,
} from './formats.ts';
export { checkIntegrity, createIntegrityCheck, type IntegrityCheck } from './integrity.ts';
export { type ImageProblem, type ProblemCode, problems, sentence } from './problems.ts';
export { formatBytes, formatMegapixels } from './units.ts';
