// The api-versions the installed SDKs send (checked in node_modules: @azure/arm-resources 7 → 2025-04-01,
// @azure/arm-network 36 → 2025-05-01, @azure/arm-compute 24 → 2026-03-01, its resourceSkus → 2021-07-01,
// its disks → 2025-01-02).
// Anything else is refused as ARM refuses it, so an SDK upgrade that changes the wire shows up in tests.
import { ArmError } from './errors';

const byKey: Record<string, readonly string[]> = {
  'microsoft.resources': ['2025-04-01'],
  'microsoft.network': ['2025-05-01'],
  'microsoft.compute': ['2026-03-01'],
  'microsoft.compute/skus': ['2021-07-01'],
  'microsoft.compute/disks': ['2025-01-02'],
};

/** Supported api-versions for a provider namespace, or a `namespace/type` with its own versions. */
export function supportedApiVersions(namespace: string, type?: string): readonly string[] {
  const ns = namespace.toLowerCase();
  return (type ? byKey[`${ns}/${type.toLowerCase()}`] : undefined) ?? byKey[ns] ?? [];
}

export function checkApiVersion(apiVersion: string | null, namespace: string, type?: string): string {
  if (!apiVersion) {
    throw new ArmError(
      400,
      'MissingApiVersionParameter',
      'The api-version query parameter (?api-version=) is required for all requests.',
    );
  }
  const supported = supportedApiVersions(namespace, type);
  if (!supported.includes(apiVersion)) {
    throw new ArmError(
      400,
      'InvalidApiVersionParameter',
      `The api-version '${apiVersion}' is invalid. The supported versions are '${supported.join(',')}'.`,
    );
  }
  return apiVersion;
}
