/**
 * Lazy access to the native compression addons. They are imported on first use only, so that a
 * command that never compresses (list-backups, check, get-wal of a gzip archive) does not pay
 * for loading them; Node's module cache makes every later call free.
 */
import { nativeModuleMissing } from './compression-errors.ts';

/** The part of zstd-napi barkeep uses. */
export type ZstdModule = typeof import('zstd-napi');

/** The part of zstd-napi's low-level binding barkeep uses (frame inspection). */
export type ZstdBinding = typeof import('zstd-napi/binding.js');

/** The part of lz4-napi barkeep uses. */
export type Lz4Module = typeof import('lz4-napi');

/** zstd-napi's high-level API (single-pass functions and stream classes). */
export async function loadZstd(): Promise<ZstdModule> {
  try {
    return unwrapDefault<ZstdModule>(await import('zstd-napi'));
  } catch (error) {
    throw nativeModuleMissing('zstd-napi', error);
  }
}

/** zstd-napi's binding module: frame sizes, used to check that frames are complete. */
export async function loadZstdBinding(): Promise<ZstdBinding> {
  try {
    return unwrapDefault<ZstdBinding>(await import('zstd-napi/binding.js'));
  } catch (error) {
    throw nativeModuleMissing('zstd-napi', error);
  }
}

/** lz4-napi: LZ4 frame compression and raw block decompression. */
export async function loadLz4(): Promise<Lz4Module> {
  try {
    return unwrapDefault<Lz4Module>(await import('lz4-napi'));
  } catch (error) {
    throw nativeModuleMissing('lz4-napi', error);
  }
}

/**
 * A CommonJS addon imported from an ES module arrives as a namespace whose `default` is the
 * `module.exports` object; named exports are present only when Node's lexer could see them.
 */
function unwrapDefault<T>(namespace: unknown): T {
  const withDefault = namespace as { default?: unknown };
  return (withDefault.default ?? namespace) as T;
}
