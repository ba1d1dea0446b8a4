// Minimal OpenAPI 3.1 shapes: each feature contributes its paths and schemas in its own module.
export type JsonSchema = Record<string, unknown>;

export interface OpenApiFragment {
  paths: Record<string, Record<string, unknown>>;
  schemas?: Record<string, JsonSchema>;
  tags?: { name: string; description: string }[];
}

/** The shared problem+json response, referenced by every fragment. */
export const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});
