/**
 * Request validation: bodies are checked strictly (no type coercion, unknown fields rejected, nothing
 * silently removed), query strings and path params with coercion (they are always strings on the wire).
 * Errors become one sentence naming the field and what to send instead.
 */
import { Ajv, type ErrorObject } from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';
import { hostAccessFieldReason } from '../core/host-access-fields.js';
import { PazError } from '../core/errors.js';

const strict = new Ajv({ allErrors: false, coerceTypes: false, useDefaults: false, removeAdditional: false, strict: false });
const lenient = new Ajv({ allErrors: false, coerceTypes: true, useDefaults: true, removeAdditional: false, strict: false });

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? strict : lenient;
  const validate = ajv.compile(schema as object);
  const s = schema as { type?: unknown; required?: unknown };
  if (httpPart !== 'body' || s.type !== 'object') return validate as ReturnType<FastifySchemaCompiler<unknown>>;
  const required = Array.isArray(s.required) ? s.required.map(String) : [];
  // Fastify hands a missing body to the validator as null, and takes `{ value }` as the body to use. A request
  // whose every field is optional may come with no body at all (`curl -X POST …/services/web/deploy`): that
  // means `{}`, as the CLI sends it. One with required fields is told which ("must be object" said nothing).
  // made anew for each request: the body object is the handler's to change, and an error is thrown per request
  const missingBody = () => (required.length === 0 ? { value: {} } : { error: new PazError('VALIDATION', `the request body is missing: send a JSON object with at least ${required.map((f) => `"${f}"`).join(', ')} (see /docs for the fields this endpoint takes)`) });
  const orMissing = Object.assign(
    (data: unknown) => {
      if (data === null || data === undefined) return missingBody();
      const ok = validate(data);
      orMissing.errors = validate.errors;
      return ok;
    },
    { errors: null as ErrorObject[] | null | undefined },
  );
  return orMissing as ReturnType<FastifySchemaCompiler<unknown>>;
};

function fieldPath(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '');
}

/** One ajv error as a sentence a person can act on. `where` is 'body', 'querystring' or 'params'. */
export function describeValidationError(err: ErrorObject, where: string): string {
  const path = fieldPath(err.instancePath);
  const subject = path ? `${where === 'body' ? '' : `${where} `}field "${path}"` : where === 'body' ? 'the request body' : where;
  const p = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'additionalProperties': {
      const field = String(p.additionalProperty);
      const why = hostAccessFieldReason(field);
      return `${path ? `field "${path}"` : where === 'body' ? 'the request body' : where} has an unknown field "${field}": ${why ? `${why}; ` : ''}remove it (see /docs for the fields this endpoint takes)`;
    }
    case 'required':
      return `${path ? `field "${path}"` : where === 'body' ? 'the request body' : where} is missing the required field "${String(p.missingProperty)}"`;
    case 'type':
      return `${subject} must be ${String(p.type).replace(/,/g, ', ').replace(/, (\w+)$/, ' or $1')}`;
    case 'enum':
      return `${subject} must be one of: ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `${subject} ${err.message} (got an out-of-range number)`;
    case 'minLength':
      return `${subject} must be at least ${String(p.limit)} characters long`;
    case 'maxLength':
      return `${subject} must be at most ${String(p.limit)} characters long`;
    case 'maxItems':
      return `${subject} may have at most ${String(p.limit)} entries`;
    default:
      return `${subject} ${err.message ?? 'is invalid'}`;
  }
}
