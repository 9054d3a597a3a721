/**
 * The multipart/form-data endpoints of reference §3.8, `POST /v1/audio/transcriptions` and `POST /v1/images/edits`.
 *
 * The router reads the form (RFC 7578 over RFC 2046) only to learn its text fields, above all `model`, and which
 * file parts it has; file contents are neither decoded nor copied. The engine gets the client's own bytes and
 * content-type (same boundary), so every field and file arrives unchanged. The one exception is an aliased model
 * (`--static-aliases`): the value of the `model` part is replaced in place by the target, byte for byte everything
 * else stays. The length changes, which is fine: `Content-Length` is never forwarded (upstream.ts), undici sets it.
 *
 * The parser is bounded: it works on the body fastify already capped (`--max-request-body-bytes`), scans it once,
 * looks for a part's headers in its first 16 KiB only and accepts at most 1000 text fields and 1000 files
 * (the defaults of Starlette's parser, which vLLM uses). Anything it cannot read is a 400, never a crash.
 */
import { badRequest } from '../errors.js';
import type { ProxiedRequest } from './shared.js';

/** Form endpoints and the names under which each accepts its required file part (the SDK sends arrays as `x[]`). */
const FORM_ENDPOINTS: Readonly<Record<'/v1/audio/transcriptions' | '/v1/images/edits', readonly string[]>> = {
  '/v1/audio/transcriptions': ['file'],
  '/v1/images/edits': ['image', 'image[]'],
};
type FormPath = keyof typeof FORM_ENDPOINTS;
export const FORM_POST_PATHS = Object.keys(FORM_ENDPOINTS) as FormPath[];

const MAX_FIELDS = 1000;
const MAX_FILES = 1000;
const MAX_PART_HEADER_BYTES = 16 * 1024;
/** RFC 2046 §5.1.1: 1 to 70 characters of this set, the last one not a space. */
const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;
const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

/** One part of a form: its name, whether it is a file (`filename=` or `filename*=`), its content's byte range. */
interface FormPart {
  readonly name: string;
  readonly file: boolean;
  readonly start: number;
  readonly end: number;
}

const malformed = (why: string) => badRequest(`Invalid request: malformed multipart/form-data (${why}).`);

/**
 * Splits a header value such as `form-data; name="model"` into its lower-cased type and parameters (names
 * lower-cased; quoted values unquoted, backslash escapes resolved). Undefined when it is not of that shape.
 */
function headerValue(value: string): { type: string; params: Map<string, string> } | undefined {
  const semi = value.indexOf(';');
  const type = (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase();
  const params = new Map<string, string>();
  let i = semi < 0 ? value.length : semi + 1;
  while (i < value.length) {
    const eq = value.indexOf('=', i);
    if (eq < 0) return value.slice(i).trim() === '' ? { type, params } : undefined;
    const name = value.slice(i, eq).trim().toLowerCase();
    i = eq + 1;
    while (value[i] === ' ' || value[i] === '\t') i++;
    let v = '';
    if (value[i] === '"') {
      for (i++; i < value.length && value[i] !== '"'; i++)
        v += value[i] === '\\' && i + 1 < value.length ? value[++i] : value[i];
      if (i >= value.length) return undefined; // unterminated quoted string
      i++;
    } else {
      const next = value.indexOf(';', i);
      v = value.slice(i, next < 0 ? value.length : next).trim();
      i = next < 0 ? value.length : next;
    }
    while (value[i] === ' ' || value[i] === '\t') i++;
    if (i < value.length && value[i] !== ';') return undefined;
    i++;
    if (name === '' || /[\s"]/.test(name)) return undefined;
    if (!params.has(name)) params.set(name, v);
  }
  return { type, params };
}

/** The boundary of a `multipart/form-data` content-type (400 when it is another type or has no valid boundary). */
function formBoundary(contentType: string | undefined): string {
  const ct = contentType === undefined ? undefined : headerValue(contentType);
  if (ct?.type !== 'multipart/form-data')
    throw badRequest('Invalid request: request body must be multipart/form-data.');
  const boundary = ct.params.get('boundary');
  if (boundary === undefined || !BOUNDARY.test(boundary)) {
    throw badRequest('Invalid request: multipart/form-data needs a valid boundary parameter in its content-type.');
  }
  return boundary;
}

/** The parts of a form body, in order (400 when the body is not a well-formed form with this boundary). */
function parseForm(body: Buffer, boundary: string): FormPart[] {
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  // the first boundary opens the body, or follows a preamble and its CRLF
  let pos: number;
  if (body.subarray(0, delimiter.length - 2).equals(delimiter.subarray(2))) pos = delimiter.length - 2;
  else {
    const first = body.indexOf(delimiter);
    if (first < 0) throw malformed('no boundary line');
    pos = first + delimiter.length;
  }
  const parts: FormPart[] = [];
  let fields = 0;
  let files = 0;
  for (;;) {
    // after a boundary: `--` closes the form (an epilogue may follow), else transport padding and CRLF open a part
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) return parts;
    while (body[pos] === 0x20 || body[pos] === 0x09) pos++;
    if (body[pos] !== 0x0d || body[pos + 1] !== 0x0a)
      throw malformed(pos >= body.length ? 'no closing boundary' : 'bad boundary line');
    pos += 2;
    // the header block ends with an empty line (a part without headers starts with it, and is rejected below)
    let headers = '';
    let start = pos + CRLF.length;
    if (body[pos] !== 0x0d || body[pos + 1] !== 0x0a) {
      const headerEnd = body.subarray(pos, pos + MAX_PART_HEADER_BYTES + HEADER_END.length).indexOf(HEADER_END);
      if (headerEnd < 0) throw malformed('part headers not terminated');
      headers = body.toString('latin1', pos, pos + headerEnd);
      start = pos + headerEnd + HEADER_END.length;
    }
    const end = body.indexOf(delimiter, start);
    if (end < 0) throw malformed('no closing boundary');
    const part = partOf(headers, start, end);
    if (part.file ? ++files > MAX_FILES : ++fields > MAX_FIELDS) {
      throw badRequest(
        `Invalid request: more than ${part.file ? `${MAX_FILES} files` : `${MAX_FIELDS} fields`} in form data.`,
      );
    }
    parts.push(part);
    pos = end + delimiter.length;
  }
}

/** A part from its header block (latin1: header bytes as they are; `name` is decoded as UTF-8 below). */
function partOf(headers: string, start: number, end: number): FormPart {
  let disposition: ReturnType<typeof headerValue>;
  for (const line of headers === '' ? [] : headers.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw malformed('bad part header');
    if (line.slice(0, colon).trim().toLowerCase() !== 'content-disposition') continue;
    disposition = headerValue(line.slice(colon + 1));
    if (disposition === undefined) throw malformed('bad Content-Disposition');
  }
  const name = disposition?.params.get('name');
  if (disposition?.type !== 'form-data' || name === undefined)
    throw malformed('a part without Content-Disposition: form-data; name=...');
  const file = disposition.params.has('filename') || disposition.params.has('filename*');
  return { name: Buffer.from(name, 'latin1').toString('utf8'), file, start, end };
}

/**
 * Validates a form request to `path` and prepares it for the general proxy path: the required file part and a
 * single non-empty text field `model` (400 otherwise), the text fields as the body routing logics see, and the
 * client's bytes with an aliased model rewritten to its target.
 */
export function parseFormRequest(
  path: FormPath,
  raw: Buffer | undefined,
  contentType: string | undefined,
  aliases: ReadonlyMap<string, string>,
): Pick<ProxiedRequest, 'raw' | 'body' | 'model'> {
  const bytes = raw ?? Buffer.alloc(0);
  const parts = parseForm(bytes, formBoundary(contentType));
  const required = FORM_ENDPOINTS[path];
  if (!parts.some((p) => p.file && required.includes(p.name))) {
    throw badRequest(`Invalid request: missing '${required[0]}' in form data.`);
  }
  const fields = new Map<string, string>();
  for (const p of parts) if (!p.file) fields.set(p.name, bytes.toString('utf8', p.start, p.end));
  const models = parts.filter((p) => !p.file && p.name === 'model');
  if (models.length > 1) throw badRequest("Invalid request: more than one 'model' in form data.");
  const model = fields.get('model');
  if (model === undefined || model === '') throw badRequest("Invalid request: missing 'model' in form data.");
  const target = aliases.get(model);
  if (target === undefined) return { raw: bytes, body: Object.fromEntries(fields), model };
  const at = models[0]!;
  fields.set('model', target);
  return {
    raw: Buffer.concat([bytes.subarray(0, at.start), Buffer.from(target, 'utf8'), bytes.subarray(at.end)]),
    body: Object.fromEntries(fields),
    model: target,
  };
}
