import { BarkeepError } from '../errors/barkeep-error.ts';
import { closestName } from './closest-name.ts';
import type { BarkeepConfig, ServerConfig } from './settings.ts';

/**
 * The servers a command names: `all` means every active server (Barman's meaning), otherwise
 * each name must be a configured section; an unknown name is a usage error that suggests the
 * closest configured one.
 */
export function selectServers(config: BarkeepConfig, names: readonly string[]): ServerConfig[] {
  if (names.length === 1 && names[0] === 'all') {
    return [...config.servers.values()].filter((server) => server.settings.active);
  }
  return names.map((name) => {
    const server = config.servers.get(name);
    if (server) return server;
    const near = closestName(name, config.servers.keys());
    throw new BarkeepError('unknownServer', {
      what: 'unknown server',
      subject: name,
      why: `no section [${name}] in ${config.files.join(', ')}`,
      ...(near
        ? { hint: `Did you mean '${near}'? Run 'barkeep list-servers' to see them all.` }
        : {}),
    });
  });
}
