import type { RegisterCommand } from './command-runtime.ts';

/**
 * `serve`: ours. Runs until SIGTERM or SIGINT (a clean stop); SIGHUP re-reads the configuration.
 */
export const registerServe: RegisterCommand = (program, runtime) => {
  program
    .command('serve')
    .summary('ours: run continuously for every server, with metrics and a status page')
    .description(
      'One long-running process for every active server: archive-wal as WAL arrives, receive-wal kept running (restarted with backoff), the backups backup_schedule asks for with retention after each, the checks every 30 s, and HTTP on serve_listen (default 127.0.0.1:9187): /metrics (Prometheus), /api/status (JSON), / (status page). SIGHUP reloads the configuration; SIGTERM stops cleanly. See docs/serve.md and contrib/systemd/barkeep.service.',
    )
    .action(
      runtime.action('serve', async (context) => {
        const config = await context.config();
        const { startServe } = await import('../serve/run-serve.ts');
        const { loadConfig } = await import('../config/load-config.ts');
        const handle = await startServe({
          logger: context.logger,
          barkeep: { program: process.execPath, args: [process.argv[1]!, '-c', config.file] },
          loadConfig: () => loadConfig({ explicitFile: config.file, env: process.env }),
        });
        context.print(`barkeep serve: status page ${handle.url}, metrics ${handle.url}metrics`);
        await new Promise<void>((resolve) => {
          const stop = () => {
            process.off('SIGHUP', reload);
            resolve();
          };
          const reload = () => {
            handle.reload().catch((error: Error) => {
              context.logger.error(
                `reload failed, the previous configuration stays: ${error.message}`,
              );
            });
          };
          process.on('SIGHUP', reload);
          process.once('SIGTERM', stop);
          process.once('SIGINT', stop);
        });
        await handle.stop();
        return 0;
      }),
    );
};
