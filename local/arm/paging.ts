// List responses in pages, as ARM sends them: `{ value, nextLink }`, the nextLink an absolute URL with
// the same query plus `$skiptoken`; the SDKs' `for await` follows it until it is absent.
import type { ArmResponse, HandlerContext } from './context';
import { ArmError } from './errors';

export function paged(ctx: HandlerContext, all: unknown[]): ArmResponse {
  const token = ctx.url.searchParams.get('$skiptoken');
  const start = token === null ? 0 : Number(token);
  if (!Number.isInteger(start) || start < 0 || start > all.length) {
    throw new ArmError(400, 'InvalidSkipToken', `The skip token '${token}' is not valid.`);
  }
  const size = ctx.world.pageSize;
  const value = all.slice(start, start + size);
  if (start + size >= all.length) return { status: 200, body: { value } };
  const next = new URL(ctx.url.pathname + ctx.url.search, ctx.world.endpoint());
  next.searchParams.set('$skiptoken', String(start + size));
  return { status: 200, body: { value, nextLink: next.toString() } };
}
