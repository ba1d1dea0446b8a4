// Fault injection for reliability tests. A rule matches requests by kind of call (read/write) and
// resource type, and fires either for the next `count` matches (scripted) or with probability `rate`
// (rate-based; `count` then caps how often). Rules come from options, ARM_EMULATOR_FAULTS (JSON) or
// PUT /_emulator/faults.
import { z } from 'zod';

export const faultKinds = [
  'throttle',
  'serverError',
  'connectionReset',
  'responseLost',
  'allocationFailed',
  'quotaExceeded',
] as const;
export type FaultKind = (typeof faultKinds)[number];

export const faultRuleSchema = z
  .object({
    /** throttle → 429 + Retry-After; serverError → 500 (or `status`); connectionReset → socket destroyed;
     * responseLost → the request is carried out, then the socket is destroyed instead of answering;
     * allocationFailed → the VM operation is accepted, then fails with AllocationFailed;
     * quotaExceeded → 409 QuotaExceeded at once. */
    kind: z.enum(faultKinds),
    /** Which calls: 'write' (PUT/PATCH/POST/DELETE, the default), 'read' (GET/HEAD) or 'any'. */
    on: z.enum(['write', 'read', 'any']).default('write'),
    /** Resource type such as 'Microsoft.Compute/virtualMachines' (case-insensitive); omitted → any. */
    resourceType: z.string().min(1).optional(),
    /** Fire for the next N matching calls (scripted). */
    count: z.number().int().positive().optional(),
    /** Fire with this probability per matching call (rate-based). */
    rate: z.number().min(0).max(1).optional(),
    retryAfterSeconds: z.number().int().min(0).max(3600).default(1),
    status: z.number().int().min(500).max(599).default(500),
  })
  .strict()
  .refine((r) => r.count !== undefined || r.rate !== undefined, {
    message: 'give count (the next N matching calls) or rate (probability per call)',
  });

export type FaultRule = z.input<typeof faultRuleSchema>;
type ParsedRule = z.output<typeof faultRuleSchema> & { fired: number };

export interface FaultMatch {
  method: string;
  resourceType: string | undefined;
}

export class Faults {
  private rules: ParsedRule[] = [];

  /** Parses and replaces the rule set; throws a ZodError naming the bad field. */
  set(rules: unknown): void {
    this.rules = z
      .array(faultRuleSchema)
      .max(100)
      .parse(rules)
      .map((r) => ({ ...r, fired: 0 }));
  }

  clear(): void {
    this.rules = [];
  }

  list(): Array<z.output<typeof faultRuleSchema> & { fired: number; remaining: number | null }> {
    return this.rules.map((r) => ({ ...r, remaining: r.count === undefined ? null : r.count - r.fired }));
  }

  /** The fault to apply to this call, if any (consumes one firing). `accepts` filters kinds a call can take. */
  take(m: FaultMatch, accepts: (kind: FaultKind) => boolean): ParsedRule | undefined {
    const isRead = m.method === 'GET' || m.method === 'HEAD';
    for (const r of this.rules) {
      if (r.on === 'write' && isRead) continue;
      if (r.on === 'read' && !isRead) continue;
      if (r.resourceType && r.resourceType.toLowerCase() !== m.resourceType?.toLowerCase()) continue;
      if (r.count !== undefined && r.fired >= r.count) continue;
      if (!accepts(r.kind)) continue;
      if (r.rate !== undefined && Math.random() >= r.rate) continue;
      r.fired++;
      return r;
    }
    return undefined;
  }
}
