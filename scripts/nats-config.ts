/**
 * `npm run nats-config`: writes the Kubernetes NATS users and permissions
 * (infra/k8s/base/nats-authorization.conf) from contracts' busAccess. Run it after changing who
 * publishes or consumes what; infra/test/nats-config.test.ts fails until then.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { busDefaults } from '@ticketing/contracts';
import { KUBERNETES_NATS_AUTHORIZATION, kubernetesNatsAuthorization } from '@ticketing/devkit/system/nats-auth';
import { repoRoot } from '@ticketing/devkit/system/services';

writeFileSync(join(repoRoot, KUBERNETES_NATS_AUTHORIZATION), kubernetesNatsAuthorization(busDefaults.stream));
console.log(`wrote ${KUBERNETES_NATS_AUTHORIZATION}`);
