import { createCliContext } from './cli-context.ts';
import { formatError } from './format-error.ts';
import type { LeanPutWal } from './lean-put-wal-args.ts';

/** Runs put-wal for archive_command with the least code loaded; returns the exit code. */
export async function runLeanPutWal(request: LeanPutWal): Promise<number> {
  const context = createCliContext(
    {
      ...(request.config !== undefined ? { config: request.config } : {}),
      quiet: request.quiet,
      debug: request.debug,
      format: 'console',
    },
    'put-wal',
    { stdout: process.stdout, stderr: process.stderr, env: process.env },
  );
  try {
    const config = await context.config();
    const { selectServers } = await import('../config/select-servers.ts');
    const [server] = selectServers(config, [request.server]);
    const { putWalFile } = await import('../archive/put-wal.ts');
    await putWalFile(server!, request.file, context.logger);
    return 0;
  } catch (error) {
    const formatted = formatError(error, request.debug);
    context.recordFailure(formatError(error, false).lines[0] ?? String(error));
    for (const line of formatted.lines) process.stderr.write(`${line}\n`);
    return formatted.exitCode;
  }
}
