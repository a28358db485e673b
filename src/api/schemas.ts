/** Schemas shared by the three APIs: path params, Paz's `{"doc": …}` envelope, the error answer. */
import { Type } from '@sinclair/typebox';

export const NameParams = Type.Object({ name: Type.String({ description: 'service name' }) });
export const VersionParams = Type.Object({ name: Type.String(), version: Type.Integer({ minimum: 1, description: 'deployed version number' }) });

/** Paz wraps every directory and scheduler answer in `{"doc": …}`. */
export const Doc = (description: string) => Type.Object({ doc: Type.Unknown({ description }) }, { additionalProperties: true });

export const ErrorAnswer = Type.Object(
  {
    statusCode: Type.Integer(),
    code: Type.String({ description: 'stable error code, e.g. PAZ_SERVICE_NOT_FOUND' }),
    error: Type.String(),
    message: Type.String({ description: 'what went wrong and what to do about it' }),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { $id: 'Error' },
);

export const errorResponses = {
  400: { description: 'invalid input; the message says what to fix', ...ErrorAnswer },
  404: { description: 'not found', ...ErrorAnswer },
};
