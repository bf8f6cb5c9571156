// config.example.ini names a customer and a bucket that belong to nobody. A technician who copies
// it and forgets to edit [customer] id and [s3] bucket would install a service that writes under
// another customer's id (or fails forever on someone else's bucket), so the commands that deliver
// data refuse the example as shipped (its customer, bucket and locations, against real AWS: no
// [s3] endpoint) unless --demo says it is a trial. A test keeps these values equal to the file's.
import type { AgentConfig } from './types.ts';

export const EXAMPLE_IDENTITY = { customerId: 'acme-001', bucket: 'open-meteo-source-bucket', locationIds: ['helsinki', 'jyvaskyla'] } as const;

/** The refusal to print, or undefined when this config is not the unedited example's identity. */
export function uneditedExampleProblem(config: AgentConfig): string | undefined {
  const locations = config.locations.map((location) => location.id).sort().join(',');
  const example = config.customer.id === EXAMPLE_IDENTITY.customerId && config.s3.bucket === EXAMPLE_IDENTITY.bucket &&
    locations === EXAMPLE_IDENTITY.locationIds.join(',') && config.s3.endpoint === undefined;
  if (!example) return undefined;
  return `${config.file} is config.example.ini unedited: the example's [customer] id (${EXAMPLE_IDENTITY.customerId}), [s3] bucket (${EXAMPLE_IDENTITY.bucket}) and [locations]; ` +
    "set this site's customer id, bucket and locations (from the onboarding sheet), then run validate again.";
}
