import type { Command } from 'commander';
import type { CliContext } from './cli-context.ts';

/**
 * The body of a command: gets the context and commander's arguments (positional values, then
 * the command's options object), returns the exit code (undefined means 0).
 */
export type CommandBody = (context: CliContext, ...args: never[]) => Promise<number | undefined>;

/** Per-command adjustments of how a failure ends the process. */
export interface ActionOptions {
  /**
   * The exit code for an error that ends this command, given the error and the code of its
   * kind (get-wal keeps 1 for "not there" and uses 2 for every real fault).
   */
  readonly exitCodeFor?: (error: unknown, code: number) => number;
}

/** What a command file needs from the CLI to register itself. */
export interface CommandRuntime {
  /** Wraps a command body into a commander action that builds the context and records the exit code. */
  action(
    name: string,
    body: CommandBody,
    options?: ActionOptions,
  ): (...args: unknown[]) => Promise<void>;
}

/** An error of a command whose exit code the command itself decides. */
export class CommandFailure extends Error {
  constructor(
    readonly error: unknown,
    readonly exitCodeFor: (error: unknown, code: number) => number,
  ) {
    super('command failure', { cause: error });
  }
}

/** A command file's registration function: declares the command, its arguments and options. */
export type RegisterCommand = (program: Command, runtime: CommandRuntime) => void;
