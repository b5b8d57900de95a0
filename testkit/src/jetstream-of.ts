import { Bus, type ServiceContext } from '@ticketing/common';

/** The service's bus as JetStream, for a test that looks at streams and consumers themselves. */
export function jetStreamOf(service: ServiceContext): Bus {
  if (!(service.bus instanceof Bus)) throw new Error(`${service.name}'s bus is not JetStream`);
  return service.bus;
}
