# The NATS server with its configuration built in, for platforms that mount no ConfigMap
# (ECS on Fargate, Render): the image the manifests pin, and the three files of the nats-config
# ConfigMap (infra/k8s/base/kustomization.yaml) at the path nats.yaml mounts them.
#
# Build context: infra/k8s/base (the repository's .dockerignore keeps infra/ out of the root's).
#   docker build -f infra/ecs/nats.Dockerfile -t REGISTRY/ticketing/nats:TAG infra/k8s/base
# The users' public keys are not in these files: nats.conf names them as $NKEY_<IDENTITY>,
# which the server reads from its environment (the nats-users secret).
FROM nats:2.10.29-alpine
COPY nats.conf /etc/nats/nats.conf
COPY nats-tls.conf /etc/nats/tls.conf
COPY nats-authorization.conf /etc/nats/authorization.conf
