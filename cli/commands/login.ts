// `vmj login`: checks that the URL answers (and that the key is accepted) before saving the profile.
import type { Command } from 'commander';

import { checkUrl, saveProfile } from '../config';
import { UsageError } from '../errors';
import { ApiClient } from '../http';

export function registerLogin(program: Command): void {
  program
    .command('login')
    .description('save --url URL [--key KEY] as your profile (checks that they work)')
    .addHelpText(
      'after',
      '\nExamples:\n  $ vmj login --url http://127.0.0.1:7071\n  $ vmj login --url https://vmj-prod.azurewebsites.net --key "$FUNCTION_KEY"\n\n' +
        'The profile is saved in $XDG_CONFIG_HOME/vm-journal/config.json (mode 0600).\n' +
        'VMJ_URL and VMJ_KEY override it; --url and --key on any command override both.\n',
    )
    .action(async (_o: unknown, cmd: Command) => {
      // --url and --key are the global options (every command has them); here --url is required.
      const o = cmd.optsWithGlobals<{ url?: string; key?: string }>();
      if (!o.url) throw new UsageError('login needs --url URL');
      const url = checkUrl(o.url);
      const client = new ApiClient({ url, ...(o.key ? { key: o.key } : {}) });
      const health = await client.json<{ status: string; version?: string }>('GET', '/api/health');
      await client.request('GET', '/api/vms?limit=1'); // a management route: proves the key
      const path = saveProfile({ url, ...(o.key ? { key: o.key } : {}) });
      process.stdout.write(
        `Logged in to ${url} (version ${health.version ?? 'unknown'}); profile saved in ${path}\n`,
      );
    });
}
