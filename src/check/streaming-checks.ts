import type { ServerConfig } from '../config/settings.ts';
import type { ReplicationView } from '../postgres/replication-view.ts';
import { defaultReceiverName } from '../streaming/receive-wal.ts';
import { runningReceiver } from '../streaming/receiver-control.ts';
import { type CheckResult, failed, passed } from './check-result.ts';

/** `receive-wal running`: with streaming_archiver on, barkeep's receiver must be running. */
export async function receiverRunningCheck(server: ServerConfig): Promise<CheckResult> {
  const name = 'receive-wal running';
  const receiver = await runningReceiver(server);
  if (receiver) return passed(name);
  return failed(
    name,
    `no receiver runs for this server; start 'barkeep receive-wal ${server.name}' (cron and serve keep it running)`,
  );
}

/** `replication slot`: the configured slot exists on the server and a receiver is using it. */
export function replicationSlotCheck(server: ServerConfig, view: ReplicationView): CheckResult {
  const name = 'replication slot';
  const slotName = server.settings.slot_name!;
  const slot = view.slots.find((candidate) => candidate.name === slotName);
  if (!slot) {
    return failed(
      name,
      `slot '${slotName}' does not exist; run 'barkeep receive-wal --create-slot ${server.name}' or set create_slot = auto`,
    );
  }
  if (!slot.active) return failed(name, `slot '${slotName}' exists but no receiver uses it`);
  return passed(name);
}

/** The sender serving barkeep's receiver, found by its application_name. */
export function receiverSender(server: ServerConfig, view: ReplicationView) {
  const applicationName = server.settings.streaming_archiver_name ?? defaultReceiverName;
  return view.senders.find((sender) => sender.applicationName === applicationName);
}
