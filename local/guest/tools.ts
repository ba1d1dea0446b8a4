// The Debian tools a simulated guest needs to write and read real journal files.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export const JOURNAL_REMOTE = '/lib/systemd/systemd-journal-remote';

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, cmd), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** The missing tools (empty when a guest can run): journal-remote, journalctl, curl, gzip, sh. */
export function missingGuestTools(journalRemote = JOURNAL_REMOTE): string[] {
  const missing: string[] = [];
  try {
    accessSync(journalRemote, constants.X_OK);
  } catch {
    missing.push(`${journalRemote} (Debian package systemd-journal-remote)`);
  }
  for (const cmd of ['journalctl', 'curl', 'gzip', 'sh', 'awk', 'timeout', 'mkfifo'])
    if (!onPath(cmd)) missing.push(cmd);
  return missing;
}
