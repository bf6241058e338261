/** `polybot config`: the effective configuration (environment over file over defaults), secrets redacted. */
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { configTable, effectiveConfig, exampleConfigFile, exampleEnvFile, fieldEntries, resolveSettings } from '@polybot/shared/settings';
import type { Io } from './common.js';

export function registerConfig(program: Command, io: Io): void {
  program
    .command('config')
    .description('print the effective configuration (environment over the config file over defaults), secrets redacted')
    .option('--json', 'as JSON')
    .option('--sources', 'where each value came from (env, file or default) and its variable')
    .option('--example', 'print the documented config file with every field at its default')
    .option('--env-example', 'print .env.example: every variable at its default')
    .option('--table', "print the README's table of fields")
    .action((opts: { json?: boolean; sources?: boolean; example?: boolean; envExample?: boolean; table?: boolean }) => {
      if (opts.example) return void io.out(exampleConfigFile());
      if (opts.envExample) return void io.out(exampleEnvFile());
      if (opts.table) return void io.out(`${configTable()}\n`);
      const resolved = resolveSettings(process.env);
      if (opts.sources) {
        const rows = fieldEntries().map(({ key, field }) => ({ field: key, variable: field.env, source: resolved.sources[key] }));
        if (opts.json) return void io.out(`${JSON.stringify(rows)}\n`);
        const w = Math.max(...rows.map((r) => r.field.length));
        const v = Math.max(...rows.map((r) => r.variable.length));
        return void io.out(`${rows.map((r) => `${r.field.padEnd(w)}  ${r.variable.padEnd(v)}  ${r.source}`).join('\n')}\n`);
      }
      const cfg = effectiveConfig(resolved);
      if (opts.json) return void io.out(`${JSON.stringify({ file: resolved.file, config: cfg })}\n`);
      io.out(`# config file: ${resolved.file ?? '(none: POLYBOT_CONFIG unset and no ./polybot.config.yaml)'}\n${stringify(cfg)}`);
    });
}
