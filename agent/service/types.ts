// What the OS service manager says about the agent's service. Shared by `service status`,
// `doctor` and the support bundle.

export type ServiceManager = 'systemd' | 'windows-scm' | 'none';

export interface ServiceStatus {
  manager: ServiceManager;
  /** The service name registered with the manager (datapipe-agent / DatapipeAgent). */
  name: string;
  installed: boolean;
  running: boolean;
  /** One readable sentence: state, start type, account, or why it could not be asked. */
  detail: string;
}
