/**
 * The Create service form: its text fields as the POST /services body, and which field an API error is
 * about (so the API's own message is shown beside it). Pure.
 *
 * Numbers the form cannot read are sent as typed, so the API answers with its own message for the field
 * ("field "numInstances" must be integer") rather than the form inventing one.
 */

export interface CreateForm {
  name: string;
  dockerRepository: string;
  description: string;
  numInstances: string;
  /** comma-separated: `9000` (a container port), `8080:9000` (host:container, as docker run -p), `53/udp` */
  ports: string;
  /** KEY=value, one a line */
  env: string;
  /** KEY=value, one a line: sent as {"secret": value}, stored sealed, never shown again */
  secretEnv: string;
  publicFacing: boolean;
  loadBalanced: boolean;
  /** an HTTP path that must answer 2xx; empty: the default check */
  healthPath: string;
}

export const EMPTY_FORM: CreateForm = {
  name: '',
  dockerRepository: '',
  description: '',
  numInstances: '1',
  ports: '',
  env: '',
  secretEnv: '',
  publicFacing: false,
  loadBalanced: true,
  healthPath: '',
};

/** The form fields an error can be shown beside. */
export type FormField = keyof CreateForm;

/** A number as typed: the number when it is one, else the text itself (for the API to refuse by name). */
function numberOrText(s: string): number | string {
  const t = s.trim();
  return /^-?\d+(\.\d+)?$/.test(t) ? Number(t) : t;
}

export function parsePorts(text: string): Array<Record<string, unknown>> {
  return text
    .split(/[,\s]+/)
    .filter(Boolean)
    .map((p) => {
      const [spec, protocol] = p.split('/');
      const parts = spec.split(':');
      const port: Record<string, unknown> = parts.length === 2 ? { container: numberOrText(parts[1]), host: numberOrText(parts[0]) } : { container: numberOrText(spec) };
      if (protocol !== undefined) port.protocol = protocol;
      return port;
    });
}

/** KEY=value lines (blank lines skipped; a line without = is a key with an empty value). */
export function parseEnvLines(text: string): Array<[string, string]> {
  return text
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const eq = l.indexOf('=');
      return eq < 0 ? [l.trim(), ''] : [l.slice(0, eq).trim(), l.slice(eq + 1)];
    });
}

/** The POST /services body for the form; fields left empty are not sent (the API's defaults apply). */
export function createBody(form: CreateForm): Record<string, unknown> {
  const body: Record<string, unknown> = { name: form.name.trim() };
  if (form.dockerRepository.trim()) body.dockerRepository = form.dockerRepository.trim();
  if (form.description.trim()) body.description = form.description.trim();
  if (form.numInstances.trim()) body.numInstances = numberOrText(form.numInstances);
  const ports = parsePorts(form.ports);
  if (ports.length) body.ports = ports;
  const env: Record<string, unknown> = {};
  for (const [k, v] of parseEnvLines(form.env)) env[k] = v;
  for (const [k, v] of parseEnvLines(form.secretEnv)) env[k] = { secret: v };
  if (Object.keys(env).length) body.env = env;
  if (form.publicFacing) body.publicFacing = true;
  if (!form.loadBalanced) body.loadBalanced = false;
  if (form.healthPath.trim()) body.healthCheck = { path: form.healthPath.trim() };
  return body;
}

/**
 * Which form field an API error is about: the error's own `field` (cross-field checks name it), else the
 * field its message names (schema checks say `field "ports[0].container" ...` or `missing the required
 * field "name"`). Undefined: the error is about the whole request.
 */
export function fieldOfError(error: { code?: string; message: string; field?: string }, secretKeys: string[] = []): FormField | undefined {
  let path = error.field;
  if (!path) path = /required field "([^"]+)"/.exec(error.message)?.[1] ?? /unknown field "([^"]+)"/.exec(error.message)?.[1] ?? /^field "([^"]+)"/.exec(error.message)?.[1];
  if (!path && error.code === 'PAZ_SERVICE_EXISTS') return 'name';
  if (!path) {
    // messages of the cross-field checks start with the field they are about
    const first = /^(name|dockerRepository|description|env|ports|healthCheck|numInstances)\b/.exec(error.message)?.[1];
    path = first;
  }
  if (!path) return undefined;
  const [top, second] = path.split(/[.[]/);
  switch (top) {
    case 'name':
    case 'dockerRepository':
    case 'description':
    case 'numInstances':
    case 'ports':
    case 'publicFacing':
    case 'loadBalanced':
      return top;
    case 'dockerImage':
      return 'dockerRepository';
    case 'env':
      return second !== undefined && secretKeys.includes(second) ? 'secretEnv' : 'env';
    case 'healthCheck':
      return 'healthPath';
    default:
      return undefined;
  }
}
