import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback HTTP server that speaks the Gemini API's REST `generateContent` protocol
 * (`POST /{version}/models/{model}:generateContent`, key in `x-goog-api-key`), so the real
 * `@google/genai` SDK can be pointed at it with `httpOptions.baseUrl`. Each request takes the next
 * queued behaviour; an empty queue answers with `defaultBehaviour`.
 */

export type GeminiBehaviour =
  /** A normal answer: one candidate with this text. */
  | { readonly kind: 'text'; readonly text: string; readonly finishReason?: string }
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
    }
  /** The prompt was blocked: `promptFeedback.blockReason` and no candidates. */
  | { readonly kind: 'blocked'; readonly blockReason: string }
  /** A candidate that stopped for this reason (e.g. SAFETY) without any content. */
  | { readonly kind: 'finish'; readonly finishReason: string }
  /** A 200 with an empty candidates list. */
  | { readonly kind: 'empty' }
  /** Waits, then behaves as `then` (default: a text answer). Used to trigger client timeouts. */
  | { readonly kind: 'delay'; readonly ms: number; readonly then?: GeminiBehaviour };

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
}

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

const PATH = /^\/(v1|v1beta|v1alpha)\/models\/([^/:]+):generateContent$/;

export async function startFakeGemini(options: FakeGeminiOptions = {}): Promise<FakeGemini> {
  const fallback = options.defaultBehaviour ?? fallbackText;
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
    requests.push(record(req, url.pathname, match[1]!, modelPath, apiKey, body));
    if (apiKey === undefined) {
      send(res, { kind: 'error', status: 403, message: "Method doesn't allow unregistered callers." });
    } else if (options.apiKey !== undefined && apiKey !== options.apiKey) {
      const message = 'API key not valid. Please pass a valid API key.';
      send(res, { kind: 'error', status: 400, message, reason: 'API_KEY_INVALID' });
    } else {
      send(res, queue.shift() ?? fallback, modelPath);
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

function send(res: ServerResponse, behaviour: GeminiBehaviour, model = 'unknown'): void {
  switch (behaviour.kind) {
    case 'delay': {
      const timer = setTimeout(() => send(res, behaviour.then ?? fallbackText, model), behaviour.ms);
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
      if (behaviour.retryDelaySeconds !== undefined) {
        details.push({
          '@type': 'type.googleapis.com/google.rpc.RetryInfo',
          retryDelay: `${behaviour.retryDelaySeconds}s`,
        });
      }
      const error = {
        code: behaviour.status,
        message: behaviour.message ?? `Fake Gemini error ${behaviour.status}`,
        status: STATUS_NAMES[behaviour.status] ?? 'UNKNOWN',
        ...(details.length > 0 ? { details } : {}),
      };
      const headers = behaviour.retryAfter ? { 'retry-after': behaviour.retryAfter } : undefined;
      json(res, behaviour.status, { error }, headers);
      return;
    }
    case 'text':
      json(res, 200, {
        candidates: [
          {
            content: { role: 'model', parts: [{ text: behaviour.text }] },
            finishReason: behaviour.finishReason ?? 'STOP',
            index: 0,
          },
        ],
        usageMetadata: { promptTokenCount: 300, candidatesTokenCount: 40, totalTokenCount: 340 },
        modelVersion: model,
        responseId: crypto.randomUUID(),
      });
      return;
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
            safetyRatings: [{ category: 'HARM_CATEGORY_HARASSMENT', probability: 'HIGH', blocked: true }],
          },
        ],
        usageMetadata: { promptTokenCount: 300, totalTokenCount: 300 },
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
