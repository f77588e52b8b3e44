/**
 * Validates values against the generated OpenAPI document with Ajv (JSON Schema 2020-12, formats):
 * a component schema by name, or the documented body of an operation's response.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { openApiDocument } from '../../src/app/openapi.ts';

type Json = Record<string, unknown>;
const ID = 'urn:tracker:openapi';

export function openApiValidator() {
  const doc = openApiDocument();
  // strict: false lets Ajv skip OpenAPI's own keywords (discriminator) and the document's wrapper.
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats.default(ajv);
  ajv.addSchema({ $id: ID, components: doc.components });

  const run = (pointer: string, value: unknown): string | null => {
    const validate = ajv.getSchema(`${ID}#${pointer}`);
    if (!validate) throw new Error(`no schema at ${pointer}`);
    return validate(value) ? null : ajv.errorsText(validate.errors, { separator: '\n' });
  };

  return {
    /** `null` when the value is a valid `components.schemas[name]`, else Ajv's errors. */
    component: (name: string, value: unknown) => run(`/components/schemas/${name}`, value),

    /**
     * Checks a response against the document: its status is documented for the operation, and its
     * body (when the documented content type has a JSON schema) is valid. Returns the problems found.
     */
    response(method: string, path: string, status: number, contentType: string | null, body: unknown): string[] {
      const op = doc.paths[path]?.[method.toLowerCase()] as Json | undefined;
      if (!op) return [`${method} ${path} is not documented`];
      const responses = op.responses as Record<string, Json>;
      let response = responses[String(status)];
      if (!response) return [`${method} ${path}: status ${status} is not documented (documented: ${Object.keys(responses).join(', ')})`];
      if (typeof response.$ref === 'string') {
        response = (doc.components.responses as Record<string, Json>)[response.$ref.split('/').pop()!]!;
      }
      const content = response.content as Record<string, { schema?: Json }> | undefined;
      if (!content) return body === undefined || body === '' ? [] : [`${method} ${path} ${status}: documented without a body`];
      const media = (contentType ?? '').split(';')[0]!.trim();
      const entry = content[media] ?? content['*/*'];
      if (!entry) return [`${method} ${path} ${status}: content type ${media} not documented (${Object.keys(content).join(', ')})`];
      const schema = entry.schema ?? {};
      if (!media.endsWith('json') || typeof schema.$ref !== 'string') return [];
      const errors = run(schema.$ref.slice(1), body);
      return errors ? [`${method} ${path} ${status}: ${errors}`] : [];
    },
  };
}
