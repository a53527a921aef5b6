import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GEMINI_INLINE_REQUEST_LIMIT_BYTES } from '@annot/config';

/**
 * A loopback HTTP server that speaks the Gemini API's REST `generateContent` protocol
 * (`POST /{version}/models/{model}:generateContent`, key in `x-goog-api-key`), so the real
 * `@google/genai` SDK can be pointed at it with `httpOptions.baseUrl`. Each request takes the next
 * queued behaviour; an empty queue answers with `defaultBehaviour`.
 */

export type GeminiBehaviour =
  /** A normal answer: one candidate with this text (for a JSON request, malformed JSON). */
  | {
      readonly kind: 'text';
      readonly text: string;
      readonly finishReason?: string;
      readonly safetyRatings?: readonly FakeSafetyRating[];
      /** usageMetadata.thoughtsTokenCount (default 120). */
      readonly thoughtsTokenCount?: number;
    }
  /**
   * A structured answer: the JSON `{caption, tags, textInImage}` as the candidate's text. The
   * request must have asked for it (generationConfig.responseMimeType "application/json" and a
   * responseSchema or responseJsonSchema); otherwise the fake answers 400, so a test notices.
   */
  | {
      readonly kind: 'structured';
      readonly caption?: string;
      readonly tags?: readonly { readonly label: string; readonly confidence: number }[];
      readonly textInImage?: string | null;
      readonly safetyRatings?: readonly FakeSafetyRating[];
      /** Default STOP; MAX_TOKENS and CONTINUATION cut the JSON in half, as a truncated answer does. */
      readonly finishReason?: string;
      /** usageMetadata.thoughtsTokenCount (default 120). */
      readonly thoughtsTokenCount?: number;
    }
  /** Any JSON value as the answer's text: a wrong-shaped structured answer. */
  | { readonly kind: 'json'; readonly value: unknown; readonly finishReason?: string }
  /** An HTTP error with Google's error JSON (`{"error":{"code","message","status","details"}}`). */
  | {
      readonly kind: 'error';
      readonly status: number;
      readonly message?: string;
      /** Adds a google.rpc.RetryInfo detail with this delay, as Gemini does on 429. */
      readonly retryDelaySeconds?: number;
      /** Sent as the Retry-After header. */
      readonly retryAfter?: string;
      /** Adds a google.rpc.ErrorInfo detail with this reason (e.g. API_KEY_INVALID). */
      readonly reason?: string;
      /**
       * A 429 for a quota: adds a google.rpc.QuotaFailure detail with this limit (quotaValue) and
       * names it in the message ("…, limit: N, model: …"), as Gemini does. 0 means the model is
       * not in the account's tier.
       */
      readonly quotaLimit?: number;
      /** Adds a google.rpc.BadRequest detail with this field violation, as the API's 400s carry. */
      readonly fieldViolation?: { readonly field?: string; readonly description: string };
    }
  /** The prompt was blocked: `promptFeedback.blockReason` and no candidates. */
  | { readonly kind: 'blocked'; readonly blockReason: string }
  /**
   * A candidate that stopped for this reason (e.g. SAFETY) without any content. For MAX_TOKENS
   * the whole output budget went on thinking: usageMetadata.thoughtsTokenCount is the request's
   * maxOutputTokens. (A reason with text: `text` or `structured` with a finishReason.)
   */
  | { readonly kind: 'finish'; readonly finishReason: string }
  /** A 200 with an empty candidates list. */
  | { readonly kind: 'empty' }
  /** Waits, then behaves as `then` (default: the answer that fits the request). Used to trigger client timeouts. */
  | { readonly kind: 'delay'; readonly ms: number; readonly then?: GeminiBehaviour };

export interface FakeSafetyRating {
  readonly category: string;
  readonly probability: 'NEGLIGIBLE' | 'LOW' | 'MEDIUM' | 'HIGH';
  readonly blocked?: boolean;
}

export interface RecordedGeminiRequest {
  readonly method: string;
  readonly path: string;
  /** "v1" or "v1beta", whichever the client used. */
  readonly apiVersion: string;
  /** The model name from the path, without "models/". */
  readonly model: string;
  readonly apiKey: string | undefined;
  readonly headers: IncomingMessage['headers'];
  /** The parsed JSON body. */
  readonly body: GenerateContentBody;
  /** Every text part of every content, joined with newlines. */
  readonly prompt: string;
  /** Every inline image, decoded from base64. */
  readonly images: { readonly mimeType: string; readonly data: Buffer }[];
}

export interface GenerateContentBody {
  readonly contents?: {
    readonly role?: string;
    readonly parts?: { text?: string; inlineData?: { mimeType?: string; data?: string } }[];
  }[];
  readonly generationConfig?: Record<string, unknown>;
  readonly systemInstruction?: { readonly parts?: { text?: string }[] };
  readonly [field: string]: unknown;
}

export interface FakeGemini {
  /** Pass as `httpOptions.baseUrl` (or GEMINI_BASE_URL). */
  readonly baseUrl: string;
  readonly requests: RecordedGeminiRequest[];
  enqueue(...behaviours: GeminiBehaviour[]): void;
  /** Forgets recorded requests and queued behaviours. */
  reset(): void;
  stop(): Promise<void>;
}

export interface FakeGeminiOptions {
  readonly defaultBehaviour?: GeminiBehaviour;
  /** When set, any other key gets Gemini's 400 API_KEY_INVALID. */
  readonly apiKey?: string;
  /** The models that exist; any other gets a 404 NOT_FOUND. Default: any `gemini-…` name. */
  readonly models?: readonly string[];
}

/** The request body the real API accepts at most (inline data included): 20 MB, owned by @annot/config. */
export const INLINE_REQUEST_LIMIT = GEMINI_INLINE_REQUEST_LIMIT_BYTES;

/**
 * The message the real API gives with a 400 when it could not process an inline image this time;
 * it asks for a retry.
 */
export const UNPROCESSABLE_IMAGE_MESSAGE =
  'Unable to process input image. Please retry or report in https://developers.generativeai.google/guide/troubleshooting';

/** GenerateContentRequest's fields (v1beta); any other is refused, as the real API does. */
const REQUEST_FIELDS = new Set([
  'model',
  'contents',
  'tools',
  'toolConfig',
  'safetySettings',
  'systemInstruction',
  'generationConfig',
  'cachedContent',
]);

/** GenerationConfig's fields (v1beta). */
const GENERATION_CONFIG_FIELDS = new Set([
  'stopSequences',
  'responseMimeType',
  'responseSchema',
  'responseJsonSchema',
  '_responseJsonSchema',
  'responseModalities',
  'candidateCount',
  'maxOutputTokens',
  'temperature',
  'topP',
  'topK',
  'seed',
  'presencePenalty',
  'frequencyPenalty',
  'responseLogprobs',
  'logprobs',
  'enableEnhancedCivicAnswers',
  'speechConfig',
  'thinkingConfig',
  'imageConfig',
  'mediaResolution',
]);

/** The image types Gemini takes inline. */
const INLINE_IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/webp', 'image/heic', 'image/heif']);

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  408: 'DEADLINE_EXCEEDED',
  413: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** The answer when nothing is queued and no defaultBehaviour is given. */
const fallbackText: GeminiBehaviour = { kind: 'text', text: 'A test photograph.' };

/** The answer to a JSON request when nothing is queued and no defaultBehaviour is given. */
const fallbackStructured: GeminiBehaviour = { kind: 'structured', caption: 'A test photograph.' };

const PATH = /^\/(v1|v1beta|v1alpha)\/models\/([^/:]+):generateContent$/;

export async function startFakeGemini(options: FakeGeminiOptions = {}): Promise<FakeGemini> {
  const fallback = options.defaultBehaviour ?? fallbackText;
  // With a defaultBehaviour, it answers every request; without, the answer fits the request.
  const fallbackStructured_ = options.defaultBehaviour ?? fallbackStructured;
  const queue: GeminiBehaviour[] = [];
  const requests: RecordedGeminiRequest[] = [];

  const server = createServer(async (req, res) => {
    let raw: string;
    try {
      raw = await readBody(req);
    } catch {
      // The client gave up (aborted) while sending: there is nobody to answer.
      res.destroy();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = req.method === 'POST' ? PATH.exec(url.pathname) : null;
    if (!match) {
      send(res, { kind: 'error', status: 404, message: `No route ${req.method} ${url.pathname}` });
      return;
    }
    let body: GenerateContentBody;
    try {
      body = JSON.parse(raw) as GenerateContentBody;
    } catch {
      send(res, { kind: 'error', status: 400, message: 'Invalid JSON payload received.' });
      return;
    }
    const apiKey = header(req, 'x-goog-api-key') ?? url.searchParams.get('key') ?? undefined;
    const modelPath = decodeURIComponent(match[2]!);
    const recorded = record(req, url.pathname, match[1]!, modelPath, apiKey, body);
    requests.push(recorded);
    const refusal =
      Buffer.byteLength(raw) > INLINE_REQUEST_LIMIT
        ? `Request payload size exceeds the limit: ${INLINE_REQUEST_LIMIT} bytes.`
        : invalidRequest(body);
    if (apiKey === undefined) {
      send(res, { kind: 'error', status: 403, message: "Method doesn't allow unregistered callers." });
    } else if (apiKey === '' || (options.apiKey !== undefined && apiKey !== options.apiKey)) {
      const message = 'API key not valid. Please pass a valid API key.';
      send(res, { kind: 'error', status: 400, message, reason: 'API_KEY_INVALID' });
    } else if (
      !(options.models ? options.models.includes(recorded.model) : /^gemini-[\w.-]+$/.test(recorded.model))
    ) {
      const message = `models/${recorded.model} is not found for API version ${recorded.apiVersion}, or is not supported for generateContent.`;
      send(res, { kind: 'error', status: 404, message });
    } else if (refusal) {
      send(res, { kind: 'error', status: 400, message: refusal, fieldViolation: { description: refusal } });
    } else {
      const fitting = asksForJson(body) ? fallbackStructured_ : fallback;
      const behaviour = queue.shift() ?? fitting;
      if (behaviour.kind === 'structured' && !asksForJson(body)) {
        const message =
          'Fake Gemini: a structured answer was queued, but the request did not ask for JSON with a schema (generationConfig.responseMimeType "application/json" and responseSchema).';
        send(res, { kind: 'error', status: 400, message });
      } else {
        const maxOutputTokens = body.generationConfig?.['maxOutputTokens'];
        send(res, behaviour, {
          model: modelPath,
          fitting,
          ...(typeof maxOutputTokens === 'number' ? { maxOutputTokens } : {}),
        });
      }
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    enqueue: (...behaviours) => void queue.push(...behaviours),
    reset() {
      queue.length = 0;
      requests.length = 0;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}

/** What an answer takes from the request. */
interface AnswerContext {
  readonly model: string;
  /** The answer that fits the request (for `delay` without `then`). */
  readonly fitting: GeminiBehaviour;
  /** generationConfig.maxOutputTokens, when the request set it. */
  readonly maxOutputTokens?: number;
}

const NO_REQUEST: AnswerContext = { model: 'unknown', fitting: fallbackText };

function send(res: ServerResponse, behaviour: GeminiBehaviour, context: AnswerContext = NO_REQUEST): void {
  const { model } = context;
  switch (behaviour.kind) {
    case 'delay': {
      const timer = setTimeout(() => send(res, behaviour.then ?? context.fitting, context), behaviour.ms);
      // The client gives up (timeout) by closing the connection: stop waiting for it.
      res.on('close', () => clearTimeout(timer));
      return;
    }
    case 'error': {
      const details: object[] = [];
      if (behaviour.reason) {
        details.push({
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: behaviour.reason,
          domain: 'googleapis.com',
        });
      }
      if (behaviour.quotaLimit !== undefined) {
        details.push({
          '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
          violations: [
            {
              quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests',
              quotaId: 'GenerateRequestsPerDayPerProjectPerModel-FreeTier',
              quotaDimensions: { location: 'global', model },
              quotaValue: String(behaviour.quotaLimit),
            },
          ],
        });
      }
      if (behaviour.fieldViolation) {
        details.push({
          '@type': 'type.googleapis.com/google.rpc.BadRequest',
          fieldViolations: [behaviour.fieldViolation],
        });
      }
      if (behaviour.retryDelaySeconds !== undefined) {
        details.push({
          '@type': 'type.googleapis.com/google.rpc.RetryInfo',
          retryDelay: `${behaviour.retryDelaySeconds}s`,
        });
      }
      const quota =
        behaviour.quotaLimit === undefined
          ? ''
          : `\n* Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: ${behaviour.quotaLimit}, model: ${model}`;
      const error = {
        code: behaviour.status,
        message: `${behaviour.message ?? `Fake Gemini error ${behaviour.status}`}${quota}`,
        status: STATUS_NAMES[behaviour.status] ?? 'UNKNOWN',
        ...(details.length > 0 ? { details } : {}),
      };
      const headers = behaviour.retryAfter ? { 'retry-after': behaviour.retryAfter } : undefined;
      json(res, behaviour.status, { error }, headers);
      return;
    }
    case 'text':
      answer(res, context, behaviour.text, behaviour);
      return;
    case 'json':
      answer(res, context, JSON.stringify(behaviour.value), behaviour);
      return;
    case 'structured': {
      const text = JSON.stringify({
        caption: behaviour.caption ?? 'A test photograph.',
        tags: behaviour.tags ?? [],
        textInImage: behaviour.textInImage ?? null,
      });
      const finishReason = behaviour.finishReason ?? 'STOP';
      // A truncated answer stops mid-way: the JSON is cut in half.
      const cut = finishReason === 'MAX_TOKENS' || finishReason === 'CONTINUATION';
      answer(res, context, cut ? text.slice(0, Math.ceil(text.length / 2)) : text, behaviour);
      return;
    }
    case 'blocked':
      json(res, 200, {
        promptFeedback: {
          blockReason: behaviour.blockReason,
          safetyRatings: [
            { category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'HIGH', blocked: true },
          ],
        },
        usageMetadata: { promptTokenCount: 300, totalTokenCount: 300 },
        modelVersion: model,
      });
      return;
    case 'finish':
      json(res, 200, {
        candidates: [
          {
            finishReason: behaviour.finishReason,
            index: 0,
            // A safety stop names the category that stopped it; other stops carry no ratings.
            ...(/SAFETY/.test(behaviour.finishReason)
              ? {
                  safetyRatings: [
                    { category: 'HARM_CATEGORY_HARASSMENT', probability: 'HIGH', blocked: true },
                  ],
                }
              : {}),
          },
        ],
        usageMetadata: usage(
          0,
          // Stopped at MAX_TOKENS with nothing to show: the budget went on thinking.
          behaviour.finishReason === 'MAX_TOKENS' ? (context.maxOutputTokens ?? 1024) : 0,
        ),
        modelVersion: model,
      });
      return;
    case 'empty':
      json(res, 200, {
        candidates: [],
        usageMetadata: { promptTokenCount: 300, totalTokenCount: 300 },
        modelVersion: model,
      });
      return;
  }
}

/** usageMetadata as the real API reports it: thinking tokens counted apart from the answer's. */
function usage(candidatesTokenCount: number, thoughtsTokenCount: number) {
  return {
    promptTokenCount: 300,
    ...(candidatesTokenCount > 0 ? { candidatesTokenCount } : {}),
    thoughtsTokenCount,
    totalTokenCount: 300 + candidatesTokenCount + thoughtsTokenCount,
  };
}

/** A 200 with one candidate holding `text`, usage with thinking tokens counted as the real API does. */
function answer(
  res: ServerResponse,
  { model }: AnswerContext,
  text: string,
  {
    finishReason = 'STOP',
    safetyRatings,
    thoughtsTokenCount = 120,
  }: {
    finishReason?: string;
    safetyRatings?: readonly FakeSafetyRating[];
    thoughtsTokenCount?: number;
  },
): void {
  const candidatesTokenCount = Math.ceil(text.length / 4);
  json(res, 200, {
    candidates: [
      {
        content: { role: 'model', parts: text === '' ? [] : [{ text }] },
        finishReason,
        index: 0,
        ...(safetyRatings ? { safetyRatings } : {}),
      },
    ],
    usageMetadata: usage(candidatesTokenCount, thoughtsTokenCount),
    modelVersion: model,
    responseId: crypto.randomUUID(),
  });
}

/** Whether the request asked for JSON matching a schema. */
function asksForJson(body: GenerateContentBody): boolean {
  const config = body.generationConfig ?? {};
  return (
    config['responseMimeType'] === 'application/json' &&
    (isObject(config['responseSchema']) || isObject(config['responseJsonSchema']))
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Why the real API would refuse this generateContent body (its 400 message), or undefined: the
 * checks of issue 15 §1 that the annotator's requests could fail (unknown fields, no contents, an
 * inline part without a supported type or with bad base64, a schema without JSON).
 */
export function invalidRequest(body: unknown): string | undefined {
  if (!isObject(body)) return 'Invalid JSON payload received. Expected an object.';
  for (const field of Object.keys(body)) {
    if (!REQUEST_FIELDS.has(field))
      return `Invalid JSON payload received. Unknown name "${field}": Cannot find field.`;
  }
  const contents = body['contents'];
  if (!Array.isArray(contents) || contents.length === 0)
    return '* GenerateContentRequest.contents: contents is not specified';
  for (const [i, content] of contents.entries()) {
    const parts = isObject(content) ? content['parts'] : undefined;
    if (!Array.isArray(parts) || parts.length === 0) {
      return `* GenerateContentRequest.contents[${i}].parts: contents.parts must not be empty.`;
    }
    for (const [j, part] of parts.entries()) {
      const inline = isObject(part) ? part['inlineData'] : undefined;
      if (inline === undefined) continue;
      const where = `contents[${i}].parts[${j}].inline_data`;
      if (!isObject(inline)) return `Invalid JSON payload received. Invalid value at '${where}'.`;
      const mimeType = inline['mimeType'];
      if (typeof mimeType !== 'string' || mimeType === '')
        return `* GenerateContentRequest.${where}.mime_type: mime_type is not specified.`;
      if (!INLINE_IMAGE_TYPES.has(mimeType)) return `Unsupported MIME type: ${mimeType}`;
      const data = inline['data'];
      if (typeof data !== 'string' || data.length % 4 !== 0 || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(data)) {
        return `Invalid value at '${where}.data' (TYPE_BYTES), Base64 decoding failed.`;
      }
    }
  }
  const config = body['generationConfig'];
  if (config !== undefined) {
    if (!isObject(config)) return "Invalid JSON payload received. Invalid value at 'generation_config'.";
    for (const field of Object.keys(config)) {
      if (!GENERATION_CONFIG_FIELDS.has(field)) {
        return `Invalid JSON payload received. Unknown name "${field}" at 'generation_config': Cannot find field.`;
      }
    }
    const schema = config['responseSchema'] ?? config['responseJsonSchema'];
    if (schema !== undefined && config['responseMimeType'] !== 'application/json') {
      return '* GenerateContentRequest.generation_config.response_mime_type: must be application/json when a response schema is set.';
    }
    if (config['responseSchema'] !== undefined && config['responseJsonSchema'] !== undefined) {
      return 'response_schema must not be set when response_json_schema is set.';
    }
  }
  return undefined;
}

function json(
  res: ServerResponse,
  status: number,
  payload: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
  res.end(JSON.stringify(payload));
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function record(
  req: IncomingMessage,
  path: string,
  apiVersion: string,
  modelPath: string,
  apiKey: string | undefined,
  body: GenerateContentBody,
): RecordedGeminiRequest {
  const parts = (body.contents ?? []).flatMap((content) => content.parts ?? []);
  return {
    method: req.method ?? 'POST',
    path,
    apiVersion,
    model: modelPath.replace(/^models\//, ''),
    apiKey,
    headers: req.headers,
    body,
    prompt: parts
      .map((part) => part.text)
      .filter((text): text is string => typeof text === 'string')
      .join('\n'),
    images: parts
      .filter((part) => part.inlineData?.data !== undefined)
      .map((part) => ({
        mimeType: part.inlineData?.mimeType ?? '',
        data: Buffer.from(part.inlineData?.data ?? '', 'base64'),
      })),
  };
}
