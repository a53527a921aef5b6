import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * Refuses a query or path parameter that validation turned into Infinity or -Infinity, with the
 * 400 a schema violation gets. Ajv coerces "Infinity", "-Infinity" and "1e309" to such a number,
 * and checks `minimum`, `maximum` and even `type: 'integer'` on finite numbers only, so
 * `?limit=Infinity` passed the schema and failed deeper down as a 500 (`/api/images/Infinity` as a
 * 404). A hook after validation covers every route's numbers at once.
 */
export async function setupFiniteNumbers(app: FastifyInstance): Promise<void> {
  app.addHook('preHandler', async (request: FastifyRequest) => {
    for (const [where, values] of [
      ['querystring', request.query],
      ['params', request.params],
    ] as const) {
      if (typeof values !== 'object' || values === null) continue;
      for (const [name, value] of Object.entries(values)) {
        if (typeof value === 'number' && !Number.isFinite(value)) {
          throw Object.assign(new Error(`${where}/${name} must be a finite number`), {
            statusCode: 400,
            validation: [],
          });
        }
      }
    }
  });
}
