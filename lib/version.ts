// The app version reported by /api/health and the OpenAPI document; a unit test keeps it equal to
// package.json (importing package.json would copy it into dist/ and confuse module resolution).
export const version = '0.1.0';
