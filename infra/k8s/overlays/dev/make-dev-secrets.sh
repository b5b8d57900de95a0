#!/usr/bin/env bash
# Writes the development secrets that overlays/dev (and compose.yaml) read, into secrets/
# beside this script (git-ignored):
#   jwt-private.env       JWT_PRIVATE_KEY  } a fresh Ed25519 pair (PEM, its line breaks
#   jwt-public.env        JWT_PUBLIC_KEY   } written as \n, which every service turns back)
#   <service>-db.env      POSTGRES_PASSWORD and the service's DATABASE_URL, for each of
#                         auth, tickets, orders, expiration and payments
#   nats-users.env        NKEY_<IDENTITY>: every NATS user's public key (the server's)
#   <identity>-nats.env   NATS_NKEY_SEED: that user's seed, for each service, the event
#                         explorer and admin (the dead-letter tool)
# Existing files are kept (a database remembers the password it was created with); pass
# --force to write new ones, and then delete the database volumes too.
# Needs only Node.js, which the project needs anyway.
set -euo pipefail
dir="$(cd "$(dirname "$0")" && pwd)/secrets"
force=false
[ "${1:-}" = "--force" ] && force=true
mkdir -p "$dir"
chmod 700 "$dir"
umask 077

write() { # name, content
  local file="$dir/$1"
  if [ -e "$file" ] && [ "$force" = false ]; then
    echo "kept    $file"
  else
    printf '%s\n' "$2" >"$file"
    echo "wrote   $file"
  fi
}

# The pair is written together or not at all: auth refuses to start with a mismatched pair.
if [ ! -e "$dir/jwt-private.env" ] || [ ! -e "$dir/jwt-public.env" ] || [ "$force" = true ]; then
  rm -f "$dir/jwt-private.env" "$dir/jwt-public.env"
fi
keys="$(node -e '
  const { generateKeyPairSync } = require("node:crypto");
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const oneLine = (pem) => pem.trim().replace(/\n/g, "\\n");
  console.log("JWT_PRIVATE_KEY=" + oneLine(privateKey.export({ type: "pkcs8", format: "pem" })));
  console.log("JWT_PUBLIC_KEY=" + oneLine(publicKey.export({ type: "spki", format: "pem" })));
')"
write jwt-private.env "$(printf '%s\n' "$keys" | grep '^JWT_PRIVATE_KEY=')"
write jwt-public.env "$(printf '%s\n' "$keys" | grep '^JWT_PUBLIC_KEY=')"

# NATS nkeys, written together or not at all: the server's public keys must match the seeds.
# Made with @nats-io/nkeys from the repository's node_modules (npm ci first).
nats_identities="auth tickets orders expiration payments explorer admin"
nats_complete=true
for id in $nats_identities; do [ -e "$dir/$id-nats.env" ] || nats_complete=false; done
[ -e "$dir/nats-users.env" ] || nats_complete=false
if [ "$nats_complete" = false ] || [ "$force" = true ]; then
  rm -f "$dir/nats-users.env"
  for id in $nats_identities; do rm -f "$dir/$id-nats.env"; done
fi
nkeys="$(node -e '
  const { createUser } = require(require.resolve("@nats-io/nkeys", { paths: [process.cwd(), process.argv[1]] }));
  for (const id of process.argv.slice(2)) {
    const user = createUser();
    console.log(`${id} ${new TextDecoder().decode(user.getSeed())} ${user.getPublicKey()}`);
  }
' "$(dirname "$0")" $nats_identities)"
users=""
while read -r id seed public; do
  write "$id-nats.env" "NATS_NKEY_SEED=$seed"
  users="${users}NKEY_$(printf '%s' "$id" | tr '[:lower:]' '[:upper:]')=$public
"
done <<<"$nkeys"
write nats-users.env "${users%$'\n'}"

for service in auth tickets orders expiration payments; do
  password="$(node -e 'console.log(require("node:crypto").randomBytes(24).toString("hex"))')"
  write "$service-db.env" "POSTGRES_PASSWORD=$password
DATABASE_URL=postgres://$service:$password@$service-postgres:5432/$service"
done
