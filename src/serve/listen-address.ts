import { ValueError, type ValueParser } from '../config/value-parsers.ts';

/** Where `serve` listens: `serve_listen = HOST:PORT` (`[::1]:PORT` for IPv6). */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** Parses `serve_listen`; port 0 picks a free port (the tests use it). */
export const parseListenAddress: ValueParser<ListenAddress> = (raw) => {
  const match = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d{1,5})$/.exec(raw.trim());
  const port = Number(match?.[3]);
  if (!match || port > 65535)
    throw new ValueError(`'${raw}' is not HOST:PORT (e.g. 127.0.0.1:9187 or [::1]:9187)`);
  return { host: (match[1] ?? match[2])!, port };
};
