# One tsswarm node per container; docker-compose.yml runs five of them (m1..m3, w1, w2).
FROM node:20-bookworm-slim

# iproute2: the overlay data plane (ip, bridge); iputils-ping: checking it by hand;
# nftables: the VIP load balancing and routing mesh rules.
RUN apt-get update \
 && apt-get install -y --no-install-recommends iproute2 iputils-ping nftables \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, so a source change does not reinstall them.
# --ignore-scripts: package.json's allowScripts denies every dependency install script
# (classic-level, protobufjs), and npm 10 in this image does not read that field. Nothing
# is lost: classic-level loads its shipped prebuilt binding at run time (checked below).
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts

COPY . .
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund --ignore-scripts \
 && node -e "require('classic-level')" \
 && chmod 755 dist/cli/tsswarm.js scripts/compose-entry.sh \
 && ln -s /app/dist/cli/tsswarm.js /usr/local/bin/tsswarm

# 2377/tcp Raft and control (managers), 7946/tcp+udp gossip, 4789/udp VXLAN.
EXPOSE 2377/tcp 7946/tcp 7946/udp 4789/udp

ENTRYPOINT ["/app/scripts/compose-entry.sh"]
