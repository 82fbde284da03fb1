import { z } from 'zod';

export const ErrorBody = z
  .object({
    error: z.string().describe('What went wrong, in a sentence meant for a person'),
    code: z.enum(['bad_request', 'unauthorized', 'forbidden', 'not_found', 'method_not_allowed', 'conflict', 'validation_failed', 'rate_limited', 'payload_too_large', 'unsupported_media_type', 'unavailable', 'service_unavailable', 'internal_error']),
    details: z.record(z.string(), z.unknown()).describe('Machine-readable specifics: `field` names the offending input'),
  })
  .meta({ id: 'Error' });

export const IsoTime = z.string().describe('ISO 8601 time in UTC, e.g. 2027-03-14T13:00:00.000Z');

export const IdParams = z.object({ id: z.string().min(1).max(100) });

/** Standard error answers of every authenticated route, for the OpenAPI document. */
export const errorResponses = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  422: ErrorBody,
  429: ErrorBody,
};

export const Image = z.strictObject({
  url: z.string().max(2000),
  alt_text: z.string().max(2000).optional(),
});

export const Media = z.strictObject({ images: z.array(Image).max(50).default([]) });

// Above every platform's own limit, so the platform's 422 (naming limit and count) answers first.
export const Segment = z.strictObject({ content: z.string().max(200_000) });
