import { sample } from 'openapi-sampler';

type Json = Record<string, unknown>;

/**
 * An example value for `schema` (a media type's schema in `doc`), built by Redocly's
 * openapi-sampler from the `example` of each DTO property, so that the document's examples say
 * what the DTOs say. The conformance test validates every example against its schema.
 */
export function exampleFor(doc: Json, schema: Json): unknown {
  return sample(schema, { quiet: true }, doc);
}
