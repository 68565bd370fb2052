import { createCliContext } from './cli-context.ts';
import { formatError } from './format-error.ts';
import type { LeanCommand } from './lean-command-args.ts';

/**
 * Runs archive_command's put-wal or restore_command's get-wal with the least code loaded (no
 * command-line framework, only the modules the one command needs); returns the exit code, the
 * same the full CLI would give.
 */
export async function runLeanCommand(request: LeanCommand): Promise<number> {
  const context = createCliContext(
    {
      ...(request.config !== undefined ? { config: request.config } : {}),
      quiet: request.quiet,
      debug: request.debug,
      format: 'console',
    },
    request.command,
    {
      // Getters: process.stdout and process.stderr are created on first use, and put-wal
      // usually writes to neither.
      get stdout() {
        return process.stdout;
      },
      get stderr() {
        return process.stderr;
      },
      env: process.env,
    },
  );
  const deliveryModule =
    request.command === 'get-wal' ? import('./get-wal-delivery.ts') : undefined;
  try {
    const config = await context.config();
    const { selectServers } = await import('../config/select-servers.ts');
    const [server] = selectServers(config, [request.server]);
    if (request.command === 'put-wal') {
      const { putWalFile } = await import('../archive/put-wal.ts');
      await putWalFile(server!, request.file, context.logger);
      return 0;
    }
    const [{ useWal }, { deliverWal }] = await Promise.all([
      import('../archive/get-wal.ts'),
      deliveryModule!,
    ]);
    await useWal(server!, request.wal, { partial: request.partial }, (found) =>
      deliverWal(found, {
        ...(request.outputDirectory !== undefined
          ? { outputDirectory: request.outputDirectory }
          : {}),
        writeStdout: context.writeBinary,
      }),
    );
    return 0;
  } catch (error) {
    const formatted = formatError(error, request.debug);
    context.recordFailure(formatError(error, false).lines[0] ?? String(error));
    for (const line of formatted.lines) process.stderr.write(`${line}\n`);
    if (deliveryModule === undefined) return formatted.exitCode;
    const { getWalExitCode } = await deliveryModule;
    return getWalExitCode(error, formatted.exitCode);
  }
}
