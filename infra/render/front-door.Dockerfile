# The front door on Render: nginx with the routes of the Kubernetes front door (nginx.conf of
# infra/k8s/components/front-door, which compose.yaml runs too). Render gives each private
# service an address of its own (auth-a1b2:3000), not its bare name, so each upstream
# `http://<name>:3000` becomes `http://${<NAME>_HOSTPORT}`, filled in at start by the image's
# own entrypoint (envsubst on /etc/nginx/templates) from the variables render.yaml sets.
#
# Build context: infra/k8s/components/front-door (the root .dockerignore keeps infra/ out).
FROM nginx:1.28.0-alpine
COPY nginx.conf /etc/nginx/templates/nginx.conf.template
RUN sed -i -E \
      -e 's#http://auth:3000#http://${AUTH_HOSTPORT}#' \
      -e 's#http://tickets:3000#http://${TICKETS_HOSTPORT}#' \
      -e 's#http://orders:3000#http://${ORDERS_HOSTPORT}#' \
      -e 's#http://payments:3000#http://${PAYMENTS_HOSTPORT}#' \
      -e 's#http://client:3000#http://${CLIENT_HOSTPORT}#' \
      /etc/nginx/templates/nginx.conf.template \
 && mkdir /etc/nginx/ticketing
# Only these variables are substituted: nginx's own $host, $http_upgrade... stay as they are.
ENV NGINX_ENVSUBST_FILTER=_HOSTPORT$ \
    NGINX_ENVSUBST_OUTPUT_DIR=/etc/nginx/ticketing
CMD ["nginx", "-c", "/etc/nginx/ticketing/nginx.conf", "-g", "daemon off;"]
