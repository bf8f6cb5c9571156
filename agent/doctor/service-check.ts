// Doctor's last line: is the agent registered with the OS service manager, and running? Not
// installed or stopped is a WARN, not a FAIL: install.sh / install.ps1 run doctor BEFORE they
// register the service, and a technician may run it with the service stopped on purpose.
import type { ServiceStatus } from '../service/types.ts';
import { pass, warn, type CheckResult } from './types.ts';

export function checkService(status: ServiceStatus | Error, configFile: string): CheckResult {
  const id = 'service';
  const title = 'OS service installed and running';
  if (status instanceof Error) {
    return warn(id, title, `could not ask the service manager: ${status.message}`, `Run 'datapipe-agent service status' as administrator/root to see why.`);
  }
  const where = `${status.name} (${status.manager})`;
  if (status.manager === 'none') {
    return warn(id, title, `no supported service manager on this machine: ${status.detail}`, 'Run the agent under your own supervisor with `datapipe-agent run -c <config.ini>`.');
  }
  if (!status.installed) {
    return warn(id, title, `${where} is not installed: ${status.detail}`, `Install it as administrator/root: datapipe-agent service install -c "${configFile}"`);
  }
  if (!status.running) {
    return warn(id, title, `${where} is installed but not running: ${status.detail}`, 'Start it as administrator/root: datapipe-agent service start; if it stops again, read the newest log file.');
  }
  return pass(id, title, `${where} is running: ${status.detail}`);
}
