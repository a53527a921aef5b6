import http from 'node:http';

export interface StreamEvent {
  readonly event: string;
  readonly data: string;
}

export interface OpenStream {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  /** The body of a refused stream (a 4xx or 5xx). */
  readonly body: Promise<string>;
  /** Resolves with the next event of this name (those before it are kept for later calls). */
  next(name: string): Promise<StreamEvent>;
  /** Resolves once the server has ended the response. */
  readonly ended: Promise<void>;
  close(): void;
}

/** GET /api/images/events?ids=… over a real connection, read as an EventSource reads it. */
export function openStream(baseUrl: string, ids: string): Promise<OpenStream> {
  return new Promise((resolve, reject) => {
    const request = http.get(`${baseUrl}/api/images/events?ids=${ids}`, (response) => {
      const events: StreamEvent[] = [];
      const waiting: { name: string; resolve: (e: StreamEvent) => void }[] = [];
      let buffer = '';
      let text = '';
      const deliver = () => {
        for (const w of [...waiting]) {
          const at = events.findIndex((e) => e.event === w.name);
          if (at < 0) continue;
          const [event] = events.splice(at, 1);
          waiting.splice(waiting.indexOf(w), 1);
          w.resolve(event!);
        }
      };
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
        buffer += chunk;
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
          const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
          const data = /^data: (.*)$/m.exec(block)?.[1] ?? '';
          events.push({ event, data });
        }
        deliver();
      });
      const ended = new Promise<void>((done) => response.once('end', done));
      resolve({
        status: response.statusCode ?? 0,
        headers: response.headers,
        body: ended.then(() => text),
        next: (name) =>
          new Promise((found) => {
            waiting.push({ name, resolve: found });
            deliver();
          }),
        ended,
        close: () => request.destroy(),
      });
    });
    request.once('error', reject);
  });
}
