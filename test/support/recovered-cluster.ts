// Starts a data directory that barkeep recovered, as its own throwaway server, to count rows.
export {
  type RecoveredServer as RecoveredCluster,
  startRecoveredServer as startRecoveredCluster,
} from '../../src/sandbox/recovered-server.ts';
