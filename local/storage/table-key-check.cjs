// Azure Table Storage decodes the URL path of a request twice, so a PartitionKey or RowKey containing
// `%` breaks every operation that names the entity in the path — Get, Update, Merge, Delete, Insert Or
// Merge, Insert Or Replace Entity: 404 or 400, or an upsert that stores another key. Insert, entity group
// transactions ($batch: keys in the body) and queries (keys in the query string) are not affected.
// Azurite decodes once and accepts such keys, so the runtime answers these requests with the 400 they
// may get on Azure instead of letting them reach Azurite: a test catches the regression locally.
'use strict';

const ENTITY_IN_PATH = /\((?:PartitionKey|RowKey)=/;

/** Why Azure would fail this table request, or undefined when it is fine. */
function percentKeyProblem(url) {
  const path = String(url).split('?', 1)[0];
  if (!ENTITY_IN_PATH.test(path)) return undefined;
  let once;
  try {
    once = decodeURIComponent(path);
  } catch {
    return 'The URL path is not valid percent-encoding.';
  }
  if (!once.includes('%')) return undefined;
  return (
    `A PartitionKey or RowKey in the URL path contains '%' (${once.slice(once.indexOf('('))}). Azure Table ` +
    'Storage decodes the path twice, so this point operation fails there (404/400) even though Azurite ' +
    'accepts it: keep % out of keys (lib/journal/keys.ts escapes with ~).'
  );
}

/** Answers the request with a Table Storage style 400 when it names a key Azure would mangle. */
function rejectPercentKey(req, res) {
  const problem = percentKeyProblem(req.url ?? '');
  if (!problem) return false;
  const body = JSON.stringify({
    'odata.error': { code: 'InvalidInput', message: { lang: 'en-US', value: problem } },
  });
  req.resume();
  res.writeHead(400, {
    'content-type': 'application/json;odata=minimalmetadata;streaming=true;charset=utf-8',
    'x-ms-error-code': 'InvalidInput',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
  return true;
}

/**
 * Makes the table server created later in this process (Azurite's, found by its port) check every
 * request first. Azurite adds its request listener itself, so the check sits in `emit`: no extra hop.
 */
function checkTableRequests(http, tablePort) {
  const createServer = http.createServer;
  http.createServer = function (...args) {
    const server = createServer.apply(this, args);
    const emit = server.emit;
    server.emit = function (event, req, res) {
      if (event === 'request' && server.address()?.port === tablePort && rejectPercentKey(req, res))
        return true;
      return emit.apply(this, arguments);
    };
    return server;
  };
}

module.exports = { percentKeyProblem, checkTableRequests };
