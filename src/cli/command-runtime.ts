import type { Command } from 'commander';
import type { CliContext } from './cli-context.ts';

/**
 * The body of a command: gets the context and commander's arguments (positional values, then
 * the command's options object), returns the exit code (undefined means 0).
 */
export type CommandBody = (context: CliContext, ...args: never[]) => Promise<number | undefined>;

/** What a command file needs from the CLI to register itself. */
export interface CommandRuntime {
  /** Wraps a command body into a commander action that builds the context and records the exit code. */
  action(name: string, body: CommandBody): (...args: unknown[]) => Promise<void>;
}

/** A command file's registration function: declares the command, its arguments and options. */
export type RegisterCommand = (program: Command, runtime: CommandRuntime) => void;
